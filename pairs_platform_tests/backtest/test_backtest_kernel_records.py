"""The compiled kernel receives and returns named records (layout.py), and they carry the right values."""
import numpy as np
import pytest

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams, run_backtest
from pairs_platform.backtest import layout as L
from pairs_platform.backtest.engine import run_grid_arrays
from pairs_platform.backtest.inputs import prepare_inputs
from pairs_platform.backtest.kernel import simulate_one
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from pairs_platform.risk.checks import ExposureLimits
from synth_backtest_data import ols_selector, synthetic_prices

PAIRS = [("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3"), ("EQ:S4", "EQ:S5")]
PARAMS = [StrategyParams(), StrategyParams(entry_z=1.5, cooldown_days=3, zscore="rolling", lookback=30,
                                           sizing="vol_target", pnl_stop=0.05)]


@pytest.fixture(scope="module")
def inputs():
    prices = synthetic_prices(600, 6, seed=3)
    schedule = build_pair_schedule(prices, walk_forward_windows(prices.index, 250, 120), ols_selector(PAIRS))
    limits = RiskLimits(max_gross=2.0, max_class_gross={"crypto": 0.3}, max_open_pairs=2)
    costs = CostModel(slippage_bps=7)
    return prices, schedule, limits, costs, prepare_inputs(prices, schedule, None, PARAMS, costs, limits)


def test_prepare_inputs_builds_named_records(inputs):
    _, schedule, limits, costs, inp = inputs
    arr = inp.arrays
    assert isinstance(arr, L.KernelArrays) and isinstance(arr.market, L.Market)
    assert isinstance(arr.pairs, L.PairSchedule) and isinstance(arr.costs, L.Costs)
    assert arr.limits == ExposureLimits(2.0, limits.max_net, limits.max_instrument, 2.0, limits.max_drawdown)
    assert arr.costs.slippage == pytest.approx(7e-4)
    assert arr.pairs.iy.shape == (len(schedule),) and arr.market.close_px.shape[0] == len(inp.dates)
    prm = arr.params
    assert prm.dtype == L.PARAMS and prm.shape == (2,)
    assert prm["entry_z"].tolist() == [2.0, 1.5] and prm["cooldown"].tolist() == [PARAMS[0].cooldown_days, 3]
    assert prm["z_index"].tolist() == [0, 1]  # formation and rolling z-scores: two stacks
    assert arr.pairs.zscores.shape[0] == 2


def test_grid_outputs_are_records_and_match_recorded_runs(inputs):
    prices, schedule, limits, costs, inp = inputs
    out = run_grid_arrays(inp, 1e6)
    assert isinstance(out, L.Outputs) and isinstance(out.series, L.Series)
    assert out.stats.dtype == L.STATS and out.series.equity.shape == (2, len(inp.dates))
    for p, params in enumerate(PARAMS):
        single = run_backtest(prices, schedule, params=params, costs=costs, limits=limits, capital=1e6)
        closed = single.trades[single.trades["exit_reason"] != "open"]
        assert out.stats["trade_count"][p] == len(closed)
        assert out.stats["refusals"][p] == len(single.refusals)
        assert out.stats["commission"][p] == pytest.approx(closed["commission"].sum() +
                                                           single.trades.loc[single.trades["exit_reason"] == "open",
                                                                             "commission"].sum())
        np.testing.assert_allclose(out.series.equity[p, inp.first_bar:], single.equity.to_numpy())


def test_recorded_run_keeps_its_state_in_the_logs(inputs):
    _, _, _, _, inp = inputs
    n_bars, n_inst = inp.arrays.market.close_px.shape
    out = L.new_outputs(1, n_bars)
    logs = L.new_logs(n_bars, n_inst, len(inp.pair_ids), 500, 5000)
    simulate_one(0, inp.arrays, 1e6, 1e6, out, logs)
    n = out.stats[0]["trade_records"]
    assert n > 0 and logs.trades.dtype == L.TRADE
    trades = logs.trades[:n]
    assert set(np.unique(trades["side"])) <= {-1, 1}
    assert (trades["entry_fill"] == trades["entry_dec"] + 1).all()
    held = logs.final["side"] != 0  # still open at the end: logged with exit bar -1
    assert (trades["exit_fill"] == -1).sum() == held.sum()
    assert out.stats[0]["refusals"] == 0 or logs.refusals[0]["code"] > 0
