"""Walk-forward windows and the pair schedule."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from synth_backtest_data import ols_selector, synthetic_prices


def test_windows_are_back_to_back_and_ordered():
    dates = pd.bdate_range("2020-01-01", periods=1000)
    w = walk_forward_windows(dates, 252, 126)
    assert list(w.columns[:5]) == ["window_id", "formation_start", "formation_end", "trade_start", "trade_end"]
    assert (w["formation_end"] < w["trade_start"]).all()
    full = w[~w["partial"]]
    assert (full["trade_start"].iloc[1:].to_numpy() == (full["trade_end"].iloc[:-1] + pd.offsets.BDay(1)).to_numpy()).all()
    assert all(dates.get_loc(e) - dates.get_loc(s) == 251 for s, e in zip(w.formation_start, w.formation_end))
    assert len(w) == int(np.ceil((1000 - 252) / 126))
    assert w["partial"].iloc[-1] and w["trade_end"].iloc[-1] > dates[-1]
    assert len(pd.bdate_range(w["trade_start"].iloc[-1], w["trade_end"].iloc[-1])) == 126


def test_overlapping_windows_and_errors():
    dates = pd.bdate_range("2020-01-01", periods=400)
    w = walk_forward_windows(dates, 100, 60, step_days=20)
    assert (w["formation_start"].diff().dropna() > pd.Timedelta(0)).all() and len(w) == 15
    with pytest.raises(ValueError, match="too few"):
        walk_forward_windows(dates[:50], 100, 60)
    with pytest.raises(ValueError, match="sorted"):
        walk_forward_windows(dates[::-1], 100, 60)


def test_selector_sees_only_the_formation_slice():
    prices = synthetic_prices(500, 4, seed=2)
    windows = walk_forward_windows(prices.index, 200, 100)
    seen = []

    def spy(formation):
        seen.append((formation.index[0], formation.index[-1], len(formation)))
        return ols_selector([("EQ:S0", "EQ:S1")])(formation)

    schedule = build_pair_schedule(prices, windows, spy)
    assert [(s, e) for s, e, _ in seen] == list(zip(windows.formation_start, windows.formation_end))
    assert all(n == 200 for *_, n in seen)
    assert len(schedule) == len(windows)
    assert (schedule["formation_end"] < schedule["trade_start"]).all()
    assert {"half_life", "pvalue", "window_id"} <= set(schedule.columns)


def test_schedule_validation_and_empty_windows():
    prices = synthetic_prices(500, 4, seed=2)
    windows = walk_forward_windows(prices.index, 200, 100)
    empty = build_pair_schedule(prices, windows, lambda f: pd.DataFrame())
    assert len(empty) == 0 and "spread_std" in empty.columns
    with pytest.raises(ValueError, match="spread_std"):
        build_pair_schedule(prices, windows, lambda f: pd.DataFrame({"y": ["EQ:S0"], "x": ["EQ:S1"], "beta": [1.0],
                                                                     "alpha": [0.0], "spread_mean": [0.0]}))
