"""The batched SQLite event log of dagster.yaml: a ranged run's asset events land in one transaction
each batch, and every partition is recorded exactly as Dagster's own storage records it."""
import shutil
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pairs_platform.instance.event_log import BatchedSqliteEventLogStorage

ROOT = Path(__file__).resolve().parents[2]
PARTS = dg.DailyPartitionsDefinition(start_date="2024-01-01", end_date="2024-03-01")


@dg.asset(partitions_def=PARTS, backfill_policy=dg.BackfillPolicy.single_run())
def ranged(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"days": len(context.partition_keys)})


def _run(home: Path, batch: str, monkeypatch) -> tuple[dg.DagsterInstance, list]:
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", batch)
    instance = dg.DagsterInstance.get()
    calls = []
    original = BatchedSqliteEventLogStorage.store_event_batch
    monkeypatch.setattr(BatchedSqliteEventLogStorage, "store_event_batch",
                        lambda self, events: (calls.append(len(events)), original(self, events)))
    result = dg.materialize([ranged], instance=instance, tags={
        "dagster/asset_partition_range_start": "2024-01-01", "dagster/asset_partition_range_end": "2024-02-29"})
    assert result.success
    return instance, calls


@pytest.mark.parametrize("batch", ["0", "10000"])
def test_ranged_run_records_every_partition_with_or_without_batches(tmp_path, monkeypatch, batch):
    instance, calls = _run(tmp_path, batch, monkeypatch)
    assert isinstance(instance.event_log_storage, BatchedSqliteEventLogStorage)
    keys = PARTS.get_partition_keys()
    assert sorted(instance.get_materialized_partitions(ranged.key)) == keys
    records = instance.fetch_materializations(ranged.key, limit=1000).records
    assert sorted(r.partition_key for r in records) == keys  # each partition once, none twice
    planned = instance.get_records_for_run(
        instance.get_runs(limit=1)[0].run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED).records
    assert len(planned) == len(keys)
    # batches: the planned events at run creation and the materializations of the step, 60 each
    assert calls == ([] if batch == "0" else [len(keys), len(keys)])
    latest = instance.get_latest_materialization_event(ranged.key)
    assert latest.asset_materialization.partition == keys[-1]
    assert pd.Timestamp(keys[-1]) == pd.Timestamp("2024-02-29")
