"""No look-ahead: changing any data after day t leaves every position, trade decision and equity up to t unchanged."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams, run_backtest
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from pairs_platform.signals.dynamic_hedge import rolling_hedge, spread_change_volatility
from pairs_platform.signals.spreads import pair_spreads
from synth_backtest_data import ols_selector, synthetic_prices

PAIRS = [("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3"), ("EQ:S1", "EQ:S4"), ("EQ:S3", "EQ:S0")]
PARAMS = [
    StrategyParams(entry_z=1.5, max_holding_days=20),
    StrategyParams(entry_z=1.5, zscore="rolling", lookback=25, sizing="vol_target", vol_target=0.1, pnl_stop=0.02),
    StrategyParams(entry_z=1.2, dynamic_hedge=True, lookback=30, fill="next_open", cooldown_days=0),
]


def pipeline(prices, opens, params):
    windows = walk_forward_windows(prices.index, 150, 80)
    schedule = build_pair_schedule(prices, windows, ols_selector(PAIRS))
    return run_backtest(prices, schedule, params=params, costs=CostModel(slippage_bps=3),
                        limits=RiskLimits(max_gross=1.2, max_drawdown=0.05), open_prices=opens)


@pytest.mark.parametrize("params", PARAMS, ids=["formation", "rolling_vol", "dynamic_open"])
@pytest.mark.parametrize("cut", [260, 333, 401])
def test_perturbing_the_future_leaves_the_past_unchanged(params, cut):
    prices = synthetic_prices(480, 5, seed=7)
    opens = prices.shift(1).bfill() * 1.001
    base = pipeline(prices, opens, params)
    rng = np.random.default_rng(cut)
    shocked, shocked_open = prices.copy(), opens.copy()
    shocked.iloc[cut + 1:] *= np.exp(rng.normal(0, 0.05, shocked.iloc[cut + 1:].shape))
    shocked_open.iloc[cut + 1:] *= 1.03
    other = pipeline(shocked, shocked_open, params)
    day = prices.index[cut]
    assert len(base.trades) > 5
    pd.testing.assert_frame_equal(base.positions.loc[:day], other.positions.loc[:day])
    pd.testing.assert_series_equal(base.equity.loc[:day], other.equity.loc[:day])
    pd.testing.assert_frame_equal(base.exposure.loc[:day], other.exposure.loc[:day])
    decided = lambda r: r.trades.loc[r.trades["entry_signal_date"] <= day, ["pair_id", "entry_signal_date", "units_y", "units_x"]]  # noqa: E731
    pd.testing.assert_frame_equal(decided(base).reset_index(drop=True), decided(other).reset_index(drop=True))
    pd.testing.assert_frame_equal(base.refusals[base.refusals.date <= day].reset_index(drop=True),
                                  other.refusals[other.refusals.date <= day].reset_index(drop=True))
    assert not base.positions.equals(other.positions)  # the perturbation did change the future


def test_signal_helpers_use_no_future_data():
    prices = synthetic_prices(300, 4, seed=3)
    schedule = pd.DataFrame(dict(y=["EQ:S0", "EQ:S2"], x=["EQ:S1", "EQ:S3"], beta=[1.0, 0.8], alpha=[0.0, 0.1],
                                 spread_mean=0.0, spread_std=0.1, trade_start=prices.index[0], trade_end=prices.index[-1]))
    shocked = prices.copy()
    shocked.iloc[201:] *= 1.5
    for a, b in zip(rolling_hedge(prices, schedule, 40), rolling_hedge(shocked, schedule, 40)):
        np.testing.assert_array_equal(a[:201], b[:201])
        assert not np.allclose(a[201:], b[201:], equal_nan=True)
    vol_a = spread_change_volatility(pair_spreads(prices, schedule), 20)
    vol_b = spread_change_volatility(pair_spreads(shocked, schedule), 20)
    np.testing.assert_array_equal(vol_a[:201], vol_b[:201])
