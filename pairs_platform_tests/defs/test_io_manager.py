"""The IO manager over the asset store: one file per partition, ranges, idempotent re-runs, metadata that
keeps the asset's own keys, and every pipeline asset readable without Dagster."""
import dagster as dg
import pandas as pd
import pytest

from pairs_platform.backtest.results import BacktestResult
from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.signals.spreads import SpreadPanel
from pairs_platform.store import AssetStore

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


def test_io_manager_keeps_the_assets_own_metadata_and_says_where_it_stored(tmp_path):
    @dg.asset
    def report() -> dg.Output[str]:
        return dg.Output("/reports/tearsheet.html", metadata={"path": dg.MetadataValue.path("/reports/tearsheet.html"),
                                                              "rows": 7})

    with dg.instance_for_test() as instance:
        defs = dg.Definitions(assets=[report], resources={
            "io_manager": PartitionedParquetIOManager(base_dir=str(tmp_path))})
        result = defs.resolve_implicit_global_asset_job_def().execute_in_process(instance=instance)
    meta = result.asset_materializations_for_node("report")[0].metadata
    assert meta["path"] == dg.MetadataValue.path("/reports/tearsheet.html")  # not the store's file
    assert meta["rows"].value == 7
    assert meta["stored_at"] == dg.MetadataValue.path(str(tmp_path / "report.json"))
    assert meta["stored_format"].value == "json"


def test_a_ranged_run_records_rows_per_partition(tmp_path):
    rows_by_day = {"2024-01-08": 1, "2024-01-09": 3, "2024-01-10": 0, "2024-01-11": 2}

    @dg.asset(partitions_def=PARTS, backfill_policy=dg.BackfillPolicy.single_run())
    def bars(context: dg.AssetExecutionContext) -> pd.DataFrame:
        days = [d for d in context.partition_keys for _ in range(rows_by_day[d])]
        return pd.DataFrame({"date": pd.to_datetime(days), "close": 1.0})

    with dg.instance_for_test() as instance:
        result = _run(tmp_path, instance, [bars], "2024-01-08", "2024-01-11", selection="bars")
    events = result.asset_materializations_for_node("bars")
    assert {e.partition: e.metadata["rows"].value for e in events} == rows_by_day
    run_wide = events[0].metadata
    assert run_wide["rows_in_run"].value == 6 and run_wide["partitions_in_run"].value == 4
    assert (run_wide["rows_per_partition_min"].value, run_wide["rows_per_partition_max"].value) == (0, 3)
    assert run_wide["stored_at"] == dg.MetadataValue.path(str(tmp_path / "bars"))
    assert pd.read_parquet(tmp_path / "bars" / "2024-01-10.parquet").empty  # materialized and empty


EXPECTED_TYPES = {"instruments": pd.DataFrame, "price_panel": pd.DataFrame, "pair_universe": pd.DataFrame,
                  "spreads": SpreadPanel, "regimes": pd.Series, "ml_features": pd.DataFrame, "signal_model": dict,
                  "signals": pd.DataFrame, "backtest_results": BacktestResult, "target_positions": pd.DataFrame,
                  "performance_report": str}


def _tree(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_every_pipeline_asset_loads_without_dagster_and_round_trips(pipeline, tmp_path):
    defs, _, root, _ = pipeline
    store = AssetStore(root / "assets")
    assert not list((root / "assets").rglob("*pickle*"))
    for name, kind in EXPECTED_TYPES.items():
        value = store.load([name])
        assert type(value) is kind, name
        copy = AssetStore(tmp_path / name)
        copy.save([name], value)
        assert _tree(tmp_path / name) == [p for p in _tree(root / "assets") if p.split("/")[0].startswith(
            name + ".")], name
        again = copy.load([name])
        if isinstance(value, pd.DataFrame):
            pd.testing.assert_frame_equal(value, again)
    model = store.load(["signal_model"])
    features = store.load(["ml_features"])
    trained = [s.model for s in model["segments"] if s.model is not None]
    assert trained and trained[-1].predict_proba(features).notna().all()
    months = store.partition_keys(["cleaned_prices"])[:2]
    bars = store.load_partitions(["cleaned_prices"], months)
    assert months == ["2021-09", "2021-10"]
    assert bars["session"].nunique() == 21 + 21  # NYSE sessions of September and October 2021


def test_pipeline_metadata_keeps_the_report_path_and_counts_rows_per_session(pipeline):
    defs, instance, root, result = pipeline
    report = instance.get_latest_materialization_event(dg.AssetKey("performance_report")).asset_materialization
    assert report.metadata["path"].value.endswith("_tearsheet.html")
    assert report.metadata["stored_at"].value == str(root / "assets" / "performance_report.json")
    store = AssetStore(root / "assets")
    events = result.asset_materializations_for_node("cleaned_prices")
    for event in events[:3]:
        assert event.metadata["rows"].value == len(store.load_partitions(["cleaned_prices"], [event.partition]))
    assert events[0].metadata["rows_in_run"].value == sum(e.metadata["rows"].value for e in events)
