"""Intraday inputs share one signal column per pair (not per pair-session): same results as per-row stacks."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams
from pairs_platform.backtest.intraday import IntradayBacktestConfig, prepare_intraday, simulate_intraday
from pairs_platform.signals.intraday import IntradaySignalConfig, entry_window
from pairs_platform_tests.backtest.per_row_layout import per_row_inputs
from pairs_platform_tests.intraday.market import planted_equity_market

CONFIGS = {
    "flat_at_close": IntradayBacktestConfig(),
    "overnight": IntradayBacktestConfig(signal=IntradaySignalConfig(flat_at_close=False)),
    "vol_target_stops_limits": IntradayBacktestConfig(
        params=StrategyParams(entry_z=1.5, exit_z=0.2, stop_z=4.0, cooldown_days=3, sizing="vol_target",
                              pnl_stop=0.01, max_holding_halflives=2.0),
        costs=CostModel(slippage_bps=3), limits=RiskLimits(max_open_pairs=1)),
}
TABLES = ("equity", "returns", "exposure", "trades", "pair_pnl", "positions", "leg_positions", "refusals")


@pytest.fixture(scope="module")
def market():
    closes, pairs = planted_equity_market("2024-01-26")
    return closes, pd.concat([pairs, pairs.assign(y=pairs["x"], x=pairs["y"])], ignore_index=True)


@pytest.mark.parametrize("name", list(CONFIGS))
def test_shared_signal_columns_give_the_per_row_results(market, name):
    closes, pairs = market
    config = CONFIGS[name]
    prepared = prepare_intraday(closes, pairs, config)
    new = simulate_intraday(prepared, config).result
    old_inp = per_row_inputs(prepared.inp)
    old = simulate_intraday(prepared._replace(inp=old_inp), config).result
    # the per-row layout is what the intraday path built before: each row's pair z-score and beta, the
    # entry window repeated per row
    schedule, stacks = prepared.inp.schedule, old_inp.arrays.pairs
    np.testing.assert_array_equal(stacks.zscores[0], prepared.zscores.to_numpy()[:, schedule["pair"].to_numpy()])
    np.testing.assert_array_equal(stacks.hedge[0], np.broadcast_to(schedule["beta"].to_numpy(), stacks.hedge[0].shape))
    window = entry_window(prepared.clock, config.signal)
    np.testing.assert_array_equal(stacks.allow, np.repeat(window[:, None], len(schedule), axis=1))
    assert len(new.trades) > 20 and (name != "vol_target_stops_limits" or len(new.refusals) > 20)
    for table in TABLES:
        a, b = getattr(new, table), getattr(old, table)
        assert_equal = pd.testing.assert_series_equal if isinstance(a, pd.Series) else pd.testing.assert_frame_equal
        assert_equal(a, b, check_exact=True, obj=table)
    assert new.summary == pytest.approx(old.summary, nan_ok=True)


def test_intraday_signal_stacks_are_bars_by_pairs(market):
    closes, pairs = market
    prepared = prepare_intraday(closes, pairs, IntradayBacktestConfig())
    arrays, schedule = prepared.inp.arrays, prepared.inp.schedule
    n_sessions = schedule["window_id"].nunique()
    assert len(schedule) == n_sessions * len(pairs) and n_sessions > 5
    assert arrays.pairs.zscores.shape == (1, len(closes), len(pairs))
    assert arrays.pairs.hedge.shape == (1, len(closes), len(pairs))
    assert arrays.pairs.allow.shape == (len(closes), 1)
    np.testing.assert_array_equal(arrays.pairs.signal_col, schedule["pair"].to_numpy())
