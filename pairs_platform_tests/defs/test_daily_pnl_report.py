"""The daily P&L report asset: one session materialized from a hand-computed ledger records that
session's own figures (reporting_hand_ledger), writes its report and links the tear sheet."""
from pathlib import Path

import dagster as dg
import pandas as pd

from pairs_platform.backtest.results import BacktestResult
from pairs_platform.defs.definitions import build_definitions
from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.defs.shared.partitions import MONTH_FORMAT
from pairs_platform.defs.shared.resources import LedgerResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.store import AssetStore
from pairs_platform_tests.reporting.reporting_hand_ledger import (
    A, B, BACKTEST_EQUITY, CAPITAL, CLOSES, SESSIONS, build_ledger,
)


def _store_upstream(root: Path) -> None:
    store = AssetStore(root / "assets")
    store.save(["instruments"], pd.DataFrame({"multiplier": [1.0, 10.0], "asset_class": ["equity", "future"]},
                                             index=pd.Index([A, B], name="instrument_id")))
    bars = CLOSES.stack().rename("close").rename_axis(["date", "instrument_id"]).reset_index()
    store.save_partitions(["cleaned_prices"], bars.assign(session=bars["date"]),  # months, as the IO manager writes
                          sorted({d.strftime(MONTH_FORMAT) for d in SESSIONS}), key_format=MONTH_FORMAT)
    empty = pd.DataFrame()
    returns = BACKTEST_EQUITY.pct_change().fillna(0.0)
    store.save(["backtest_results"], BacktestResult(BACKTEST_EQUITY, returns, empty, empty, empty, empty, empty,
                                                    empty, {}, capital=CAPITAL))


def _materialize(tmp_path, monkeypatch, first: str, last: str):
    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    build_ledger(f"sqlite:///{tmp_path / 'ledger.db'}").close()
    _store_upstream(tmp_path)
    defs = build_definitions(io_manager=PartitionedParquetIOManager(base_dir=str(tmp_path / "assets")),
                             strategy=StrategyResource(strategy_id="s1", capital=CAPITAL),
                             ledger=LedgerResource(url=f"sqlite:///{tmp_path / 'ledger.db'}"))
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("paper_execution").execute_in_process(
            instance=instance, asset_selection=[dg.AssetKey("daily_pnl_report")],
            tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last})
    assert result.success
    return {e.partition: e.metadata for e in result.asset_materializations_for_node("daily_pnl_report")}


def test_one_session_records_its_own_figures_and_links_the_tear_sheet(tmp_path, monkeypatch):
    meta = _materialize(tmp_path, monkeypatch, "2022-03-03", "2022-03-03")["2022-03-03"]
    figures = {k: meta[k].value for k in ("daily_pnl", "realized_pnl", "unrealized_pnl", "cumulative_pnl",
                                          "gross_exposure", "gross_exposure_pct", "orders_sent", "orders_refused",
                                          "fills", "backtest_daily_pnl", "daily_pnl_vs_backtest")}
    assert figures == {"daily_pnl": 41.0, "realized_pnl": 53.0, "unrealized_pnl": 18.0, "cumulative_pnl": 68.0,
                       "gross_exposure": 624.0, "gross_exposure_pct": 6.24, "orders_sent": 1, "orders_refused": 1,
                       "fills": 2, "backtest_daily_pnl": 30.0, "daily_pnl_vs_backtest": 11.0}
    assert meta["tear_sheet"].value == str(tmp_path / "reports" / "s1_tearsheet.html")
    report = Path(meta["report"].value)
    assert report == tmp_path / "reports" / "daily" / "s1_2022-03-03.md"
    text = report.read_text()
    assert "| Daily P&L | $41.00 |" in text and "(6.24% of capital)" in text and "(../s1_tearsheet.html)" in text
    stored = pd.read_parquet(tmp_path / "assets" / "daily_pnl_report" / "2022-03-03.parquet")
    assert stored["cumulative_pnl"].tolist() == [68.0]


def test_a_ranged_run_gives_each_session_its_own_figures(tmp_path, monkeypatch):
    meta = _materialize(tmp_path, monkeypatch, "2022-03-02", "2022-03-04")
    assert {day: m["daily_pnl"].value for day, m in meta.items()} == {
        "2022-03-02": 27.0, "2022-03-03": 41.0, "2022-03-04": 5.0}
    assert {day: m["fills"].value for day, m in meta.items()} == {"2022-03-02": 2, "2022-03-03": 2, "2022-03-04": 1}
    assert meta["2022-03-04"]["net_exposure"].value == -400.0
    assert sorted(p.name for p in (tmp_path / "reports" / "daily").iterdir()) == [
        "s1_2022-03-02.md", "s1_2022-03-03.md", "s1_2022-03-04.md"]
