"""Seeded synthetic intraday bars with U-shaped intraday volatility and the daily market's planted pairs.

Each session starts at the daily synthetic market's previous close (:class:`SyntheticSource`, same
seed), so intraday and daily data describe one market. Within a session, on the exchange's real bar
grid (:mod:`pairs_platform.data.sessions`):

- an independent instrument's log price is a random walk whose per-bar volatility is its annual
  volatility spread over the session's bars times a U-shaped time-of-day profile
  ``u(f) = c (1 + U_SHAPE (2 f - 1)^2)`` (``f`` the fraction of the regular session elapsed,
  ``c`` so that the mean of ``u^2`` over a full session is 1): the open and the close move
  ``1 + U_SHAPE`` times as much per bar as midday;
- a planted y (the daily spec's :data:`~pairs_platform.data.sources.synthetic_spec.PLANTED`) follows
  ``log y_t = log y_open + beta (log x_t - log x_open) + d_t``, with ``d`` an AR(1) starting at 0
  whose half-life is ``HALF_LIFE_BARS_PER_DAY`` bars per trading day of the daily half-life and
  whose stationary std is ``spread_std * SPREAD_STD_SCALE``, innovations also U-shaped.

Equities trade XNYS sessions, crypto the 24/7 calendar. Futures and bonds are not served intraday
(their daily prices carry roll basis and yield conversions the intraday model does not reproduce).
"""
from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from pairs_platform.data.instruments import asset_class_of
from pairs_platform.data.sessions import bar_timedelta, session_bars
from pairs_platform.data.sources import synthetic_spec as spec
from pairs_platform.data.sources.base import check_requested, date_bounds
from pairs_platform.data.sources.intraday import INTRADAY_COLUMNS, session_exchange, standardize_intraday
from pairs_platform.data.sources.synthetic import SyntheticSource

U_SHAPE = 2.0
HALF_LIFE_BARS_PER_DAY = 4.0
SPREAD_STD_SCALE = 0.25
INTRADAY_CLASSES = ("equity", "crypto")


def u_profile(fraction: np.ndarray) -> np.ndarray:
    """The U-shaped per-bar volatility multiplier at ``fraction`` of the session (mean square 1)."""
    grid = (np.arange(1000) + 0.5) / 1000
    norm = np.sqrt(np.mean((1 + U_SHAPE * (2 * grid - 1) ** 2) ** 2))
    return (1 + U_SHAPE * (2 * np.asarray(fraction, dtype=np.float64) - 1) ** 2) / norm


def _normals(seed: int, iid: str, session: pd.Timestamp, n: int, width: int) -> np.ndarray:
    key = [seed, zlib.crc32(iid.encode()), int(session.value // 86_400_000_000_000)]
    return np.random.default_rng(key).standard_normal((n, width))


def _session_paths(seed: int, ids: list[str], grid: pd.DataFrame, opens: dict[str, float],
                   full_bars: int) -> dict[str, np.ndarray]:
    """Log closes of every bar of one session for ``ids`` (x legs first, planted y after)."""
    n = len(grid)
    session = pd.Timestamp(grid["session"].iloc[0])
    u = u_profile((grid["slot"].to_numpy() + 0.5) / full_bars)
    logp: dict[str, np.ndarray] = {}
    for iid in sorted(ids, key=lambda i: i in spec.PLANTED):
        z = _normals(seed, iid, session, n, 1)[:, 0]
        if iid in spec.WALKS:
            sd = spec.WALKS[iid].vol / np.sqrt(252.0 * full_bars)
            logp[iid] = np.log(opens[iid]) + np.cumsum(sd * u * z)
            continue
        planted = spec.PLANTED[iid]
        phi = 0.5 ** (1.0 / (planted.half_life * HALF_LIFE_BARS_PER_DAY))
        sd = planted.spread_std * SPREAD_STD_SCALE * np.sqrt(1 - phi ** 2)
        drift = lfilter([1.0], [1.0, -phi], sd * u * z)
        logp[iid] = np.log(opens[iid]) + planted.beta * (logp[planted.x] - np.log(opens[planted.x])) + drift
    return logp


def _bars_of_session(seed: int, ids: list[str], grid: pd.DataFrame, opens: dict[str, float],
                     full_bars: int) -> list[pd.DataFrame]:
    logp = _session_paths(seed, ids, grid, opens, full_bars)
    u = u_profile((grid["slot"].to_numpy() + 0.5) / full_bars)
    frames = []
    for iid, path in logp.items():
        close = np.exp(path)
        open_ = np.r_[opens[iid], close[:-1]]
        z = _normals(seed, iid, pd.Timestamp(grid["session"].iloc[0]), len(grid), 3)
        wick = 0.25 * spec.WALKS.get(iid, spec.WALKS["EQ:SYNA"]).vol / np.sqrt(252.0 * full_bars) * u
        volume = np.round(spec.BASE_VOLUME[asset_class_of(iid)] / full_bars * u ** 2 * np.exp(0.3 * z[:, 2]))
        frames.append(pd.DataFrame({
            "timestamp": grid["timestamp"].to_numpy(), "session": grid["session"].to_numpy(), "instrument_id": iid,
            "open": open_, "high": np.maximum(open_, close) * np.exp(wick * np.abs(z[:, 0])),
            "low": np.minimum(open_, close) * np.exp(-wick * np.abs(z[:, 1])), "close": close, "volume": volume}))
    return frames


class SyntheticIntradaySource:
    """Seeded synthetic intraday bars (equities on XNYS, crypto 24/7) anchored to the daily synthetic market.

    Implements :class:`~pairs_platform.data.sources.intraday.IntradaySource`. The bars of a session
    depend only on (seed, session, instrument, bar_size), not on the requested range.
    """

    name = "synthetic_intraday"

    def __init__(self, seed: int = 7) -> None:
        self.seed = int(seed)
        self.daily = SyntheticSource(seed)

    def instrument_ids(self) -> list[str]:
        """Instruments served intraday: the daily synthetic equities and crypto."""
        return [i for i in self.daily.instrument_ids() if asset_class_of(i) in INTRADAY_CLASSES]

    def ground_truth(self) -> pd.DataFrame:
        """The planted pairs served intraday (both legs on one calendar; intraday half-life in bars)."""
        truth = self.daily.ground_truth()
        served = truth["y"].isin(self.instrument_ids()) & truth["x"].isin(self.instrument_ids())
        served &= truth["y_class"] == truth["x_class"]  # both legs on one session calendar
        truth = truth[served].reset_index(drop=True)
        return truth.assign(half_life_bars=truth["half_life"] * HALF_LIFE_BARS_PER_DAY,
                            intraday_spread_std=truth["spread_std"] * SPREAD_STD_SCALE)

    def fetch_intraday(self, instrument_ids: list[str], start: Any, end: Any, bar_size: str) -> pd.DataFrame:
        """Long intraday bars (see :data:`INTRADAY_COLUMNS`) for the sessions ``start..end`` inclusive."""
        ids = check_requested(self.name, instrument_ids, self.instrument_ids())
        lo, hi = date_bounds(start, end)
        frames = []
        for exchange in sorted({session_exchange(i) for i in ids}):
            group = [i for i in ids if session_exchange(i) == exchange]
            frames += self._fetch_exchange(group, exchange, lo, hi, bar_size)
        if not frames:
            return standardize_intraday(pd.DataFrame(columns=list(INTRADAY_COLUMNS)))
        bars = pd.concat(frames, ignore_index=True)
        return standardize_intraday(bars[bars["instrument_id"].isin(ids)])

    def _fetch_exchange(self, ids: list[str], exchange: str, lo, hi, bar_size: str) -> list[pd.DataFrame]:
        legs = sorted(set(ids) | {spec.PLANTED[i].x for i in ids if i in spec.PLANTED})
        grid = session_bars(exchange, lo, hi, bar_size)
        if grid.empty:
            return []
        full_bars = int(grid.groupby("session").size().max())
        full_bars = max(full_bars, int(pd.Timedelta("6.5h" if exchange == "XNYS" else "1D") / bar_timedelta(bar_size)))
        daily = self.daily.fetch(legs, lo - pd.Timedelta("10D"), hi)
        closes = daily.pivot(index="date", columns="instrument_id", values="close").sort_index()
        sessions = pd.DatetimeIndex(grid["session"].unique())
        prev = closes.reindex(closes.index.union(sessions)).shift(1).ffill().loc[sessions]
        frames = []
        for session, rows in grid.groupby("session", sort=True):
            frames += _bars_of_session(self.seed, legs, rows.reset_index(drop=True), prev.loc[session].to_dict(),
                                       full_bars)
        return frames
