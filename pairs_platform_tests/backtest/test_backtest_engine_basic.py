"""Accounting identities and contract of run_backtest on a small synthetic market."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams, run_backtest, run_grid
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from synth_backtest_data import instrument_table, ols_selector, synthetic_prices

PAIRS = [("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3"), ("EQ:S4", "EQ:S5"), ("EQ:S0", "EQ:S2")]


@pytest.fixture(scope="module")
def market():
    prices = synthetic_prices(700, 6, seed=1)
    windows = walk_forward_windows(prices.index, 250, 120)
    return prices, build_pair_schedule(prices, windows, ols_selector(PAIRS))


def test_equity_change_equals_sum_of_trade_pnl(market):
    prices, schedule = market
    res = run_backtest(prices, schedule, params=StrategyParams(max_holding_days=25), capital=1e6)
    assert len(res.trades) > 10
    assert res.equity.iloc[-1] - 1e6 == pytest.approx(res.trades["pnl"].sum(), abs=1e-6)
    assert res.pair_pnl["pnl"].sum() == pytest.approx(res.trades["pnl"].sum(), abs=1e-6)
    costs = res.trades[["commission", "slippage", "borrow"]].sum(axis=1)
    np.testing.assert_allclose(costs, res.trades["costs"])
    assert (res.trades["commission"] >= 2.0 - 1e-12).all()  # two legs, $1 minimum each


def test_costs_reduce_pnl_and_zero_costs_charge_nothing(market):
    prices, schedule = market
    free = run_backtest(prices, schedule, params=StrategyParams(), costs=CostModel.zero())
    paid = run_backtest(prices, schedule, params=StrategyParams(), costs=CostModel(slippage_bps=10))
    assert free.trades["costs"].abs().max() == 0.0
    assert paid.equity.iloc[-1] < free.equity.iloc[-1]


def test_positions_are_whole_lots_and_match_leg_table(market):
    prices, schedule = market
    inst = instrument_table(prices.columns, lot=[1, 10, 1, 100, 5, 1])
    res = run_backtest(prices, schedule, inst, params=StrategyParams())
    lots = inst["lot_size"].to_numpy(float)
    assert np.all(np.mod(res.positions.to_numpy(), lots) == 0)
    rebuilt = res.leg_positions.pivot_table(index="date", columns="instrument_id", values="units", aggfunc="sum")
    rebuilt = rebuilt.reindex(index=res.positions.index, columns=res.positions.columns).fillna(0.0)
    pd.testing.assert_frame_equal(rebuilt, res.positions, check_names=False, check_freq=False)


def test_trades_respect_timing_and_windows(market):
    prices, schedule = market
    res = run_backtest(prices, schedule, params=StrategyParams())
    t = res.trades
    closed = t[t["exit_reason"] != "open"]
    dates = prices.index
    assert (dates.get_indexer(t["entry_date"]) == dates.get_indexer(t["entry_signal_date"]) + 1).all()
    assert (dates.get_indexer(closed["exit_date"]) == dates.get_indexer(closed["exit_signal_date"]) + 1).all()
    sched = schedule.assign(pair_id=[f"{w}|{y}~{x}" for w, y, x in zip(schedule.window_id, schedule.y, schedule.x)])
    merged = t.merge(sched[["pair_id", "trade_start", "trade_end"]], on="pair_id")
    assert (merged["entry_signal_date"] >= merged["trade_start"]).all()
    assert (merged.loc[merged.exit_reason != "open", "exit_date"] <= merged.loc[merged.exit_reason != "open", "trade_end"]).all()


def test_grid_equity_matches_single_runs(market):
    prices, schedule = market
    sets = [StrategyParams(), StrategyParams(entry_z=1.5, zscore="rolling", lookback=30),
            StrategyParams(dynamic_hedge=True, lookback=40, sizing="vol_target", vol_target=0.05)]
    grid = run_grid(prices, schedule, sets)
    for j, p in enumerate(sets):
        single = run_backtest(prices, schedule, params=p)
        np.testing.assert_allclose(grid.equity[j].to_numpy(), single.equity.to_numpy(), rtol=0, atol=1e-9)
        assert grid.stats.loc[j, "trade_count"] == (single.trades["exit_reason"] != "open").sum()


def test_bad_inputs_raise_clear_errors(market):
    prices, schedule = market
    broken = prices.copy()
    broken.iloc[400, 3] = np.nan
    with pytest.raises(ValueError, match="EQ:S3"):
        run_backtest(broken, schedule)
    with pytest.raises(KeyError, match="EQ:S5"):
        run_backtest(prices, schedule, instrument_table(prices.columns[:5]))
    with pytest.raises(ValueError, match="entry_allowed"):
        run_backtest(prices, schedule, entry_allowed=np.ones((3, 3), bool))
    with pytest.raises(ValueError, match="stop_z"):
        StrategyParams(entry_z=2.0, stop_z=1.5)
    with pytest.raises(ValueError, match="open_prices"):
        run_backtest(prices, schedule, params=StrategyParams(fill="next_open"))


def test_limits_refuse_and_record(market):
    prices, schedule = market
    res = run_backtest(prices, schedule, params=StrategyParams(pair_capital=0.3),
                       limits=RiskLimits(max_open_pairs=1, max_drawdown=None))
    assert (res.exposure["open_pairs"] <= 1).all()
    assert (res.refusals["reason"] == "max_open_pairs").sum() > 0


def test_empty_schedule_gives_a_flat_book(market):
    prices, schedule = market
    res = run_backtest(prices, schedule.iloc[:0], capital=5e5)
    assert (res.equity == 5e5).all() and len(res.equity) == len(prices)
    assert len(res.trades) == 0 and len(res.refusals) == 0 and len(res.leg_positions) == 0
    assert (res.positions.to_numpy() == 0).all() and list(res.positions.columns) == list(prices.columns)
    assert res.summary["trade_count"] == 0 and res.summary["total_return"] == 0.0
