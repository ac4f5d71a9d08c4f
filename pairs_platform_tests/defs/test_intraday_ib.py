"""The intraday graph with source 'ib': one session's bars come from the fake IB gateway, paced and labelled."""
import dagster as dg
import pandas as pd

from pairs_platform.backtest.intraday import IntradayBacktestConfig, parse_pairs, session_targets
from pairs_platform.data.sources.intraday import wide_closes
from pairs_platform.data.sources.synthetic_intraday import SyntheticIntradaySource
from pairs_platform.defs.intraday.assets import DEFAULT_PAIRS
from pairs_platform_tests.data.test_ib_intraday import ib_env  # noqa: F401
from pairs_platform_tests.defs.graph_support import make_defs
from pairs_platform_tests.execution.ib_support import gateway  # noqa: F401

SESSION = "2024-03-18"
IDS = ["EQ:SYNA", "EQ:SYNB", "EQ:SYNC", "EQ:SYND"]


def test_intraday_bars_of_a_session_from_ib(tmp_path, ib_env):  # noqa: F811
    # the gateway serves the synthetic market's bars (IB dates a bar by its start, our bars by their end)
    truth = SyntheticIntradaySource(seed=7).fetch_intraday(IDS, SESSION, SESSION, "5min")
    for iid, rows in truth.groupby("instrument_id"):
        starts = rows["timestamp"] - pd.Timedelta("5min")
        ib_env.history.serve(iid.split(":")[1], "5 mins", list(zip(
            starts, rows["open"], rows["high"], rows["low"], rows["close"], rows["volume"])))
    defs = make_defs(tmp_path)
    config = {"ops": {"intraday_bars": {"config": {"source": "ib", "bar_size": "5min", "instruments": IDS}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("intraday_pipeline").execute_in_process(
            instance=instance, partition_key=SESSION, run_config=config,
            asset_selection=[dg.AssetKey("intraday_bars")])
    assert result.success
    bars = result.output_for_node("intraday_bars")
    pd.testing.assert_frame_equal(bars, truth)  # same timestamps (UTC bar ends), sessions and prices
    assert len(bars) == 4 * 78
    files = list((tmp_path / "assets" / "intraday_bars").rglob("*.parquet"))
    assert len(files) == 1 and SESSION in str(files[0])  # one file for the session
    materialization = result.asset_materializations_for_node("intraday_bars")[0]
    assert materialization.metadata["source"].value == "ib"
    requests = ib_env.history.requests
    assert sorted(r.symbol for r in requests) == ["SYNA", "SYNB", "SYNC", "SYND"]
    assert {(r.bar_size, r.use_rth, r.end) for r in requests} == {("5 mins", True, "20240318 20:00:00 UTC")}



def test_intraday_targets_from_ib_bars_equal_the_backtest_on_the_served_bars(tmp_path, ib_env):  # noqa: F811
    start, end = "2024-03-01", "2024-03-15"  # 11 sessions: 10 warm-up + the traded one
    truth = SyntheticIntradaySource(seed=7).fetch_intraday(IDS, start, end, "5min")
    for iid, rows in truth.groupby("instrument_id"):
        ib_env.history.serve(iid.split(":")[1], "5 mins", list(zip(
            rows["timestamp"] - pd.Timedelta("5min"), rows["open"], rows["high"], rows["low"], rows["close"],
            rows["volume"])))
    tags = {"dagster/asset_partition_range_start": start, "dagster/asset_partition_range_end": end}
    config = {"ops": {"intraday_bars": {"config": {"source": "ib", "instruments": IDS}}}}
    with dg.DagsterInstance.ephemeral() as instance:
        result = make_defs(tmp_path).resolve_job_def("intraday_pipeline").execute_in_process(
            instance=instance, tags=tags, run_config=config)
    assert result.success
    targets = result.output_for_node("intraday_targets")
    expected = session_targets(wide_closes(truth), parse_pairs(DEFAULT_PAIRS), IntradayBacktestConfig())
    assert (targets["units"] != 0).any()
    pd.testing.assert_frame_equal(targets.reset_index(drop=True), expected.reset_index(drop=True))
    assert len(ib_env.history.requests) == 4 * 3  # 11 sessions in requests of at most 5 sessions
