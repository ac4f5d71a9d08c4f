"""Intraday signals and backtest: no look-ahead, entry windows, flat at the close, bar annualisation."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest.intraday import IntradayBacktestConfig, bar_clock, run_intraday_backtest
from pairs_platform.signals.intraday import (
    IntradaySignalConfig, entry_window, half_life_bars, intraday_zscores, time_of_day_scale, within_session_changes,
)
from pairs_platform_tests.intraday.market import planted_equity_market


@pytest.fixture(scope="module")
def market():
    return planted_equity_market("2024-02-09")


def _spreads(closes, pairs):
    logp = np.log(closes)
    return np.column_stack([logp[y] - b * logp[x] for y, x, b in zip(pairs["y"], pairs["x"], pairs["beta"])])


def test_time_of_day_scale_is_u_shaped_and_causal(market):
    closes, pairs = market
    clock = bar_clock(closes.index, "XNYS")
    spreads = _spreads(closes, pairs)
    scale = time_of_day_scale(within_session_changes(spreads, clock), clock, 10)
    assert np.isnan(scale[clock.session_code < 10]).all()
    later = clock.session_code >= 10
    open_, midday = scale[later & (clock.slot == 1)], scale[later & (clock.slot == 39)]
    assert np.nanmean(open_) > 1.5 * np.nanmean(midday)
    shocked = spreads.copy()
    cut = np.flatnonzero(clock.session_code == 15)[0]
    shocked[cut:] += np.random.default_rng(0).normal(0, 0.05, shocked[cut:].shape)
    again = time_of_day_scale(within_session_changes(shocked, clock), clock, 10)
    same_session = clock.session_code <= 15  # session 15's scale uses sessions 5..14 only
    np.testing.assert_array_equal(scale[same_session], again[same_session])
    assert not np.allclose(scale[~same_session], again[~same_session])


def test_entry_window_excludes_the_open_and_the_close(market):
    closes, _ = market
    clock = bar_clock(closes.index, "XNYS")
    allowed = entry_window(clock, IntradaySignalConfig(no_entry_open_min=15, no_entry_close_min=30))
    local = closes.index.tz_convert("America/New_York")
    times = pd.Index(local[allowed].strftime("%H:%M"))
    assert times.min() == "09:50" and times.max() == "15:25"
    assert allowed.sum() == len(clock.sessions) * (78 - 3 - 7)  # ends 09:35-09:45 and 15:30-16:00 excluded


def test_half_life_in_bars_recovers_the_planted_one(market):
    closes, pairs = market
    measured = half_life_bars(_spreads(closes, pairs), bar_clock(closes.index, "XNYS"))
    planted = pairs["half_life"].to_numpy()  # 20 and 40 bars
    # per-session demeaning over 78-bar sessions biases the AR(1) coefficient down (Nickell bias):
    # measured ~5 bars; the order and the scale (bars, not days) are what the time stop relies on
    assert np.all((measured > planted / 10) & (measured < planted)), measured
    assert measured[0] < measured[1]


@pytest.mark.parametrize("flat", [True, False])
@pytest.mark.parametrize("cut", [1100, 1777])
def test_intraday_backtest_has_no_look_ahead(market, flat, cut):
    closes, pairs = market
    config = IntradayBacktestConfig(signal=IntradaySignalConfig(flat_at_close=flat))
    base = run_intraday_backtest(closes, pairs, config)
    shocked = closes.copy()
    shocked.iloc[cut + 1:] *= np.exp(np.random.default_rng(cut).normal(0, 0.01, shocked.iloc[cut + 1:].shape))
    other = run_intraday_backtest(shocked, pairs, config)
    bar = closes.index[cut]
    assert len(base.result.trades) > 10
    pd.testing.assert_frame_equal(base.result.positions.loc[:bar], other.result.positions.loc[:bar])
    pd.testing.assert_series_equal(base.result.equity.loc[:bar], other.result.equity.loc[:bar])
    pd.testing.assert_frame_equal(base.zscores.loc[:bar], other.zscores.loc[:bar])
    naive = bar.tz_convert("UTC").tz_localize(None)
    decided = lambda r: r.result.trades.loc[r.result.trades["entry_signal_date"] <= naive,  # noqa: E731
                                            ["pair_id", "entry_signal_date", "units_y", "units_x"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(decided(base), decided(other))
    assert not base.result.positions.equals(other.result.positions)


def test_flat_at_close_entry_windows_and_bar_annualisation(market):
    closes, pairs = market
    run = run_intraday_backtest(closes, pairs, IntradayBacktestConfig())
    result, clock = run.result, run.clock
    last_bars = result.exposure.index.isin(closes.index[clock.session_end])
    assert (result.exposure.loc[last_bars, "open_pairs"] == 0).all()
    assert (result.positions.loc[last_bars] == 0).all().all()
    entries = pd.DatetimeIndex(result.trades["entry_signal_date"]).tz_localize("UTC")
    allowed = pd.Series(entry_window(clock, IntradaySignalConfig()), index=closes.index)
    assert allowed.loc[entries].all()
    assert set(result.trades["exit_reason"]) >= {"window_end"}
    assert run.bars_per_year == 251 * 78  # 251 NYSE sessions in the 365 days to 2024-02-09
    r = result.returns.to_numpy()
    assert result.summary["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * np.sqrt(251 * 78))
    overnight = run_intraday_backtest(closes, pairs, IntradayBacktestConfig(
        signal=IntradaySignalConfig(flat_at_close=False)))
    assert (overnight.result.exposure.loc[last_bars, "open_pairs"] > 0).any()
