"""Rows sharing a signal share one column of the signal stacks; the results equal per-row stacks.

Also the two preparation steps that no longer build (bars x rows) masks: the active row ranges and
the leg-price check (same ranges, same first bad cell in the error as the dense versions).
"""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams
from pairs_platform.backtest.engine import build_result, run_recorded
from pairs_platform.backtest.inputs import active_row_range, prepare_inputs, signal_columns
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from per_row_layout import per_row_inputs
from synth_backtest_data import instrument_table, ols_selector, synthetic_prices

PAIRS = [("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3"), ("EQ:S4", "EQ:S5")]
PARAMS = [StrategyParams(cooldown_days=3, max_holding_days=15),
          StrategyParams(entry_z=1.5, zscore="rolling", lookback=30, sizing="vol_target", pnl_stop=0.05),
          StrategyParams(entry_z=1.5, dynamic_hedge=True, lookback=40)]
TABLES = ("equity", "returns", "exposure", "trades", "pair_pnl", "positions", "leg_positions", "refusals")


@pytest.fixture(scope="module")
def prices():
    return synthetic_prices(600, 6, seed=3)


def repeated_schedule(prices: pd.DataFrame, window: int = 40) -> pd.DataFrame:
    """The three pairs fitted once, traded in back-to-back windows of ``window`` bars (like intraday sessions)."""
    fitted = ols_selector(PAIRS)(prices.iloc[:250])
    starts = np.arange(250, len(prices), window)
    windows = pd.DataFrame({"window_id": np.arange(len(starts)), "trade_start": prices.index[starts],
                            "trade_end": prices.index[np.minimum(starts + window - 1, len(prices) - 1)]})
    return windows.merge(fitted, how="cross")


def test_walk_forward_rows_keep_their_own_columns(prices):
    schedule = build_pair_schedule(prices, walk_forward_windows(prices.index, 250, 120), ols_selector(PAIRS))
    rows, col = signal_columns(schedule)
    np.testing.assert_array_equal(col, np.arange(len(schedule)))
    np.testing.assert_array_equal(rows, np.arange(len(schedule)))


def test_repeated_rows_share_a_column(prices):
    schedule = repeated_schedule(prices)
    rows, col = signal_columns(schedule)
    np.testing.assert_array_equal(rows, [0, 1, 2])
    np.testing.assert_array_equal(col, np.tile([0, 1, 2], len(schedule) // 3))
    other = schedule.copy()
    other.loc[4, "spread_mean"] = np.nextafter(other.loc[4, "spread_mean"], np.inf)  # one bit differs
    assert signal_columns(other)[1].max() == 3


@pytest.mark.parametrize("i", range(len(PARAMS)))
def test_shared_columns_give_the_per_row_results(prices, i):
    schedule = repeated_schedule(prices)
    params, costs, limits = PARAMS[i], CostModel(slippage_bps=5), RiskLimits(max_open_pairs=2, max_gross=1.5)
    inst = instrument_table(prices.columns, lot=[1, 10, 1, 5, 1, 1])
    inp = prepare_inputs(prices, schedule, inst, [params], costs, limits)
    assert inp.arrays.pairs.zscores.shape == (1, len(prices), 3)

    def run(kernel_inputs):
        raw = run_recorded(kernel_inputs, 1e6, 1e6)
        return build_result(kernel_inputs, raw, prices.columns, params, costs, limits, 1e6)

    new, old = run(inp), run(per_row_inputs(inp))
    assert len(new.trades) > 10
    for table in TABLES:
        a, b = getattr(new, table), getattr(old, table)
        assert_equal = pd.testing.assert_series_equal if isinstance(a, pd.Series) else pd.testing.assert_frame_equal
        assert_equal(a, b, check_exact=True, obj=table)


def _dense_active_rows(start, end, n_bars):
    active = (np.arange(n_bars)[:, None] >= start[None, :]) & (np.arange(n_bars)[:, None] <= end[None, :])
    some = active.any(axis=1)
    lo = np.where(some, active.argmax(axis=1), 0)
    hi = np.where(some, len(start) - active[:, ::-1].argmax(axis=1), 0)
    return lo, hi


def test_active_row_range_equals_the_dense_mask():
    rng = np.random.default_rng(5)
    n_bars = 300
    start = rng.integers(10, n_bars + 20, 400)  # no row active on bars 0..9
    end = start + rng.integers(-5, 120, 400)  # empty windows, windows past the data
    lo, hi = active_row_range(start, end, n_bars)
    dense_lo, dense_hi = _dense_active_rows(start, end, n_bars)
    np.testing.assert_array_equal(lo, dense_lo)
    np.testing.assert_array_equal(hi, dense_hi)
    assert (hi == 0).any() and (hi > lo + 50).any()


def test_bad_price_error_names_the_first_bad_cell_inside_a_window(prices):
    schedule = repeated_schedule(prices)
    bad = prices.copy()
    bad.iloc[100, 4] = np.nan  # before any window: ignored
    prepare_inputs(bad, schedule, None, [PARAMS[0]], CostModel(), RiskLimits())
    bad.iloc[400, 3] = -1.0  # EQ:S3 (x leg of row 1 of its window)
    bad.iloc[300, 5] = np.nan  # EQ:S5, x leg too, earlier bar: named first
    bad.iloc[420, 0] = 0.0  # EQ:S0 is a y leg: the y legs are checked first
    with pytest.raises(ValueError, match=r"close price of 'EQ:S0' on .* is 0.0 inside a trading window"):
        prepare_inputs(bad, schedule, None, [PARAMS[0]], CostModel(), RiskLimits())
    bad.iloc[420, 0] = 1.0
    day = prices.index[300].date()
    with pytest.raises(ValueError, match=rf"close price of 'EQ:S5' on {day} is nan inside a trading window"):
        prepare_inputs(bad, schedule, None, [PARAMS[0]], CostModel(), RiskLimits())


def test_entry_mask_of_one_column_applies_to_every_row(prices):
    schedule = repeated_schedule(prices)
    mask = np.ones((len(prices), 1), dtype=bool)
    mask[::3] = False
    one = prepare_inputs(prices, schedule, None, [PARAMS[0]], CostModel(), RiskLimits(), mask)
    full = prepare_inputs(prices, schedule, None, [PARAMS[0]], CostModel(), RiskLimits(),
                          np.repeat(mask, len(schedule), axis=1))
    a, b = run_recorded(one, 1e6, 1e6), run_recorded(full, 1e6, 1e6)
    np.testing.assert_array_equal(a.equity, b.equity)
    np.testing.assert_array_equal(a.refusals, b.refusals)
    assert len(a.refusals) > 0
    with pytest.raises(ValueError, match="entry_allowed must be"):
        prepare_inputs(prices, schedule, None, [PARAMS[0]], CostModel(), RiskLimits(), mask[:, :0])
