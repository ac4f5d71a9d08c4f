"""The partitioned Parquet IO manager: one file per partition, ranges, idempotent re-runs."""
import dagster as dg
import pandas as pd
import pytest

from pairs_platform.defs.io_manager import PartitionedParquetIOManager

PARTS = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 * * 1-5", start="2024-01-01",
                                          end="2024-02-01", fmt="%Y-%m-%d")


def _assets(value_by_day):
    @dg.asset(partitions_def=PARTS, backfill_policy=dg.BackfillPolicy.single_run())
    def bars(context: dg.AssetExecutionContext) -> pd.DataFrame:
        days = pd.to_datetime(context.partition_keys)
        return pd.DataFrame({"date": days, "instrument_id": "EQ:KO",
                             "close": [value_by_day(d) for d in days]})

    @dg.asset
    def history(bars: pd.DataFrame) -> pd.DataFrame:
        return bars

    return [bars, history]


def _run(tmp_path, instance, assets, start, end, selection="*"):
    defs = dg.Definitions(assets=assets, jobs=[dg.define_asset_job("j", selection=selection)],
                          resources={"io_manager": PartitionedParquetIOManager(base_dir=str(tmp_path))})
    result = defs.resolve_job_def("j").execute_in_process(
        instance=instance, tags={"dagster/asset_partition_range_start": start,
                                 "dagster/asset_partition_range_end": end})
    assert result.success
    return result


def test_range_writes_one_file_per_partition_and_rerun_replaces_only_its_partition(tmp_path):
    with dg.instance_for_test() as instance:
        _run(tmp_path, instance, _assets(lambda d: 1.0), "2024-01-08", "2024-01-19", selection="bars")
        files = sorted(p.name for p in (tmp_path / "bars").iterdir())
        assert files[0] == "2024-01-08.parquet" and len(files) == 10
        before = (tmp_path / "bars" / "2024-01-08.parquet").stat().st_mtime_ns
        _run(tmp_path, instance, _assets(lambda d: 2.0), "2024-01-10", "2024-01-10", selection="bars")
        assert (tmp_path / "bars" / "2024-01-08.parquet").stat().st_mtime_ns == before
        result = _run(tmp_path, instance, _assets(lambda d: 3.0), "2024-01-08", "2024-01-08",
                      selection="history")
        history = result.output_for_node("history")
        closes = history.set_index("date")["close"]
        assert len(history) == 10
        assert closes[pd.Timestamp("2024-01-10")] == 2.0
        assert (closes.drop(pd.Timestamp("2024-01-10")) == 1.0).all()


def test_rows_outside_the_run_partitions_are_refused(tmp_path):
    @dg.asset(partitions_def=PARTS)
    def leaky(context) -> pd.DataFrame:
        return pd.DataFrame({"date": pd.to_datetime(["2024-01-09", "2024-01-10"]), "close": [1.0, 2.0]})

    with dg.instance_for_test() as instance:
        defs = dg.Definitions(assets=[leaky], resources={
            "io_manager": PartitionedParquetIOManager(base_dir=str(tmp_path))})
        with pytest.raises(ValueError, match="outside the partitions"):
            defs.resolve_implicit_global_asset_job_def().execute_in_process(
                instance=instance, partition_key="2024-01-09")
