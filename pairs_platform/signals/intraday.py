"""Intraday adaptations of the z-score signal: time-of-day volatility, entry windows, half-lives in bars.

A bar ``t`` is stamped with its end time; everything at ``t`` uses bars up to and including ``t``.

- :func:`time_of_day_scale`: the spread's per-bar volatility at each time of day (bar ``slot``:
  bars since the session open) relative to its all-day volatility, estimated from the squared
  within-session spread changes of the previous ``tod_sessions`` sessions only (never the current
  session); sessions without enough history get NaN.
- :func:`intraday_zscores`: trailing rolling z-score over ``lookback_bars`` bars divided by that
  scale, so a deviation at the volatile open needs to be larger to count as the same signal.
- :func:`entry_window`: no entries in the opening ``no_entry_open_min`` and the closing
  ``no_entry_close_min`` minutes of each session (the real close: early closes count).
- Half-lives and holding limits are in bars (``StrategyParams.max_holding_days`` and
  ``cooldown_days`` count bars); :func:`half_life_bars` estimates half-lives on bar spreads.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pairs_platform.pairs.spread_stats import half_life
from pairs_platform.signals.spreads import rolling_zscores


@dataclass(frozen=True)
class IntradaySignalConfig:
    """Settings of the intraday signal.

    - ``lookback_bars``: trailing bars of the rolling z-score (mean and std of the spread).
    - ``tod_sessions``: past sessions the time-of-day volatility profile is estimated from.
    - ``no_entry_open_min`` / ``no_entry_close_min``: minutes after the open / before the close
      without new entries (a bar may open a trade only if its end is strictly more than
      ``no_entry_open_min`` after the open and strictly more than ``no_entry_close_min`` before the close).
    - ``flat_at_close``: every position is closed at the session's last bar (no overnight risk).
    """

    lookback_bars: int = 60
    tod_sessions: int = 10
    no_entry_open_min: float = 15.0
    no_entry_close_min: float = 15.0
    flat_at_close: bool = True

    def __post_init__(self) -> None:
        if int(self.lookback_bars) < 2:
            raise ValueError(f"IntradaySignalConfig.lookback_bars must be >= 2, got {self.lookback_bars}")
        if int(self.tod_sessions) < 1:
            raise ValueError(f"IntradaySignalConfig.tod_sessions must be >= 1, got {self.tod_sessions}")
        for name in ("no_entry_open_min", "no_entry_close_min"):
            if not getattr(self, name) >= 0:
                raise ValueError(f"IntradaySignalConfig.{name} must be >= 0 minutes, got {getattr(self, name)}")


@dataclass(frozen=True)
class BarClock:
    """Where each bar sits in its session: (T,) session code (0, 1, ... in time order), slot, minutes."""

    timestamps: pd.DatetimeIndex
    sessions: pd.DatetimeIndex  # (D,) session dates
    session_code: np.ndarray  # (T,) index into ``sessions``
    slot: np.ndarray  # (T,) bars since the session's first bar
    minutes_from_open: np.ndarray
    minutes_to_close: np.ndarray

    @classmethod
    def from_labels(cls, timestamps: pd.DatetimeIndex, labels: pd.DataFrame) -> "BarClock":
        """From bar timestamps and :func:`pairs_platform.data.sessions.label_bars` of them."""
        codes, sessions = pd.factorize(pd.DatetimeIndex(labels["session"]), sort=True)
        first = np.r_[True, codes[1:] != codes[:-1]]
        if np.any(np.diff(codes) < 0):
            raise ValueError("bar timestamps must be sorted ascending (sessions in time order)")
        start = np.maximum.accumulate(np.where(first, np.arange(len(codes)), 0))
        return cls(pd.DatetimeIndex(timestamps), pd.DatetimeIndex(sessions), codes.astype(np.int64),
                   (np.arange(len(codes)) - start).astype(np.int64),
                   labels["minutes_from_open"].to_numpy(np.float64), labels["minutes_to_close"].to_numpy(np.float64))

    @property
    def session_end(self) -> np.ndarray:
        """(T,) True on each session's last bar."""
        return np.r_[self.session_code[1:] != self.session_code[:-1], True]


def within_session_changes(spreads: np.ndarray, clock: BarClock) -> np.ndarray:
    """(T, K) bar-to-bar spread changes, NaN on each session's first bar (overnight gaps excluded)."""
    changes = np.vstack([np.full((1, spreads.shape[1]), np.nan), np.diff(spreads, axis=0)])
    changes[clock.slot == 0] = np.nan
    return changes


def time_of_day_scale(changes: np.ndarray, clock: BarClock, tod_sessions: int) -> np.ndarray:
    """(T, K) per-slot volatility / all-day volatility, from the ``tod_sessions`` previous sessions only.

    NaN where fewer than ``tod_sessions`` earlier sessions exist or the slot was never seen.
    """
    n_days, n_slots = len(clock.sessions), int(clock.slot.max()) + 1
    ok = np.isfinite(changes)
    shape = (n_days + 1, n_slots, changes.shape[1])
    # sums per (session + 1, slot, column) in bar order: a bincount over flat cell numbers (as np.add.at)
    cell = ((((clock.session_code + 1) * n_slots + clock.slot) * shape[2])[:, None] + np.arange(shape[2])).ravel()
    sq = np.bincount(cell, (np.where(ok, changes, 0.0) ** 2).ravel(), minlength=np.prod(shape)).reshape(shape)
    cnt = np.bincount(cell, ok.astype(np.float64).ravel(), minlength=np.prod(shape)).reshape(shape)
    sq, cnt = np.cumsum(sq, axis=0), np.cumsum(cnt, axis=0)
    d = np.arange(n_days)
    lo = np.clip(d - tod_sessions, 0, None)  # sessions [d - L, d): cumulative rows d and d - L
    win_sq, win_cnt = sq[d] - sq[lo], cnt[d] - cnt[lo]
    with np.errstate(divide="ignore", invalid="ignore"):
        slot_var = win_sq / win_cnt
        all_var = win_sq.sum(axis=1, keepdims=True) / win_cnt.sum(axis=1, keepdims=True)
        scale = np.sqrt(slot_var / all_var)
    scale[d < tod_sessions] = np.nan
    return scale[clock.session_code, clock.slot]


def intraday_zscores(spreads: np.ndarray, clock: BarClock, config: IntradaySignalConfig) -> np.ndarray:
    """(T, K) rolling z-scores divided by the causal time-of-day volatility scale."""
    z = rolling_zscores(spreads, int(config.lookback_bars))
    scale = time_of_day_scale(within_session_changes(spreads, clock), clock, int(config.tod_sessions))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(scale > 0, z / scale, np.nan)


def entry_window(clock: BarClock, config: IntradaySignalConfig) -> np.ndarray:
    """(T,) True where a new entry may be decided (outside the opening and closing windows)."""
    return (clock.minutes_from_open > config.no_entry_open_min) & (clock.minutes_to_close > config.no_entry_close_min)


def half_life_bars(spreads: np.ndarray, clock: BarClock) -> np.ndarray:
    """(K,) AR(1) half-life in bars of bar spreads, each session demeaned (the day-to-day level moves
    of the spread are not intraday reversion); fit on the bars given (a formation span), finite rows.

    Demeaning within short sessions biases the AR(1) coefficient down (Nickell bias): on the
    synthetic market's 78-bar sessions planted half-lives of 20 and 40 bars read about 5 bars.
    """
    sums = np.zeros((len(clock.sessions), spreads.shape[1]))
    np.add.at(sums, clock.session_code, spreads)
    counts = np.bincount(clock.session_code, minlength=len(clock.sessions))[:, None]
    demeaned = spreads - (sums / counts)[clock.session_code]
    return half_life(demeaned[np.isfinite(demeaned).all(axis=1)])
