"""The synthetic source: a seeded, deterministic market of all four asset classes.

Determinism per (instrument, date): every random number is drawn from a stream seeded by
``(seed, instrument, year, purpose)`` and indexed by the day of the year, and every path is built
forward from a fixed epoch (``start``). So the value on a date depends only on the seed, the epoch and
draws up to that date: generating any sub-range returns exactly the rows of the full range.
Generated histories are cached in-process (per seed, epoch and decade).

Non-crypto instruments have bars on NYSE trading days only; crypto has a bar every calendar day.
Futures bars carry the traded front contract's price, its ``contract`` code (rolling per the
instrument's roll rule) and ``prev_close`` (that contract's previous close); bonds carry ``close`` (price per 100 face) and ``yield`` (decimal).
``ground_truth()`` lists the planted cointegrated pairs (see ``synthetic_spec``).
"""
from __future__ import annotations

import zlib
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from pairs_platform.conventions import TRADING_DAYS_PER_YEAR
from pairs_platform.data.calendar import is_trading_day
from pairs_platform.data.futures import contract_schedule, front_contract_index
from pairs_platform.data.instruments import MONTH_CODES, asset_class_of, default_instruments
from pairs_platform.data.sources import synthetic_spec as spec
from pairs_platform.data.sources.base import (
    check_requested, date_bounds, empty_bars, filter_by_class, standardize_bars,
)

_TAGS = {"level": 0, "spread": 1, "ohlc": 2, "basis": 3, "factor": 4}
_DAYS_PER_YEAR = 365.0


def _year_normals(seed: int, name: str, tag: str, year: int, width: int = 1) -> np.ndarray:
    """(366, width) standard normals of one (name, year, purpose) stream."""
    seq = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(name.encode()), year, _TAGS[tag]))
    return np.random.default_rng(seq).standard_normal((366, width))


def _daily_normals(seed: int, name: str, tag: str, dates: pd.DatetimeIndex, width: int = 1) -> np.ndarray:
    """Normals for each date, read from that date's year stream at its day of year."""
    years = dates.year.to_numpy()
    first = int(years.min())
    blocks = np.stack([_year_normals(seed, name, tag, y, width) for y in range(first, int(years.max()) + 1)])
    out = blocks[years - first, dates.day_of_year.to_numpy() - 1]
    return out[:, 0] if width == 1 else out


def _walk(z: np.ndarray, factor: np.ndarray, walk: spec.WalkSpec) -> np.ndarray:
    """Log path (log price, or log yield for bonds) on the calendar grid, starting at log p0."""
    shock = walk.loading * factor + np.sqrt(1.0 - walk.loading ** 2) * z
    step = walk.drift / _DAYS_PER_YEAR + walk.vol / np.sqrt(_DAYS_PER_YEAR) * shock
    step[0] = 0.0
    return np.log(walk.p0) + np.cumsum(step)


def _ar1_spread(z: np.ndarray, planted: spec.PlantedSpec) -> np.ndarray:
    """Stationary AR(1) on calendar days with the planted half-life (given in trading days)."""
    phi = np.exp(-np.log(2.0) / (planted.half_life * _DAYS_PER_YEAR / TRADING_DAYS_PER_YEAR))
    shocks = planted.spread_std * np.sqrt(1.0 - phi ** 2) * z
    shocks[0] = planted.spread_std * z[0]  # start in the stationary distribution
    return lfilter([1.0], [1.0, -phi], shocks)


def _log_prices(seed: int, grid: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    """Latent log prices (continuous for futures) of every synthetic instrument on the grid."""
    factors = {f: _daily_normals(seed, f"factor:{f}", "factor", grid)
               for f in sorted({w.factor for w in spec.WALKS.values()})}
    logp: dict[str, np.ndarray] = {}
    for iid, walk in spec.WALKS.items():
        path = _walk(_daily_normals(seed, iid, "level", grid), factors[walk.factor], walk)
        if iid in spec.DURATION:  # path is a log yield: price = 100 exp(-D (y - y0))
            path = np.log(100.0) - spec.DURATION[iid] * (np.exp(path) - walk.p0)
        logp[iid] = path
    for iid, planted in spec.PLANTED.items():
        x = logp[planted.x]
        p0 = 100.0 if iid in spec.DURATION else planted.p0
        alpha = np.log(p0) - planted.beta * x[0]
        logp[iid] = alpha + planted.beta * x + _ar1_spread(_daily_normals(seed, iid, "spread", grid), planted)
    return logp


def _futures_close(seed: int, iid: str, roll_rule: str, dates: pd.DatetimeIndex,
                   log_cont: np.ndarray) -> dict[str, np.ndarray]:
    """Front-contract ``close``, ``contract`` code and ``prev_close`` (the same contract's close on the
    previous trading day): continuous price times a per-contract basis."""
    symbol = iid.split(":", 1)[1]
    schedule = contract_schedule(symbol, roll_rule, dates.year.min(), dates.year.max() + 2)
    idx = front_contract_index(dates, schedule)
    codes = schedule["contract"].to_numpy()
    delivery_year = np.array([int(c[-4:]) for c in codes])
    month = np.array([MONTH_CODES.index(c[-5]) for c in codes])
    years = np.arange(delivery_year.min(), delivery_year.max() + 1)
    table = np.stack([_year_normals(seed, iid, "basis", int(y))[:12, 0] for y in years])
    basis = spec.FUTURES_BASIS_STD[iid] * table[delivery_year - years[0], month][idx]
    prev_close = np.exp(np.concatenate([[np.nan], log_cont[:-1]]) + basis)
    return {"close": np.exp(log_cont + basis), "contract": codes[idx], "prev_close": prev_close}


def _ohlcv(seed: int, iid: str, asset_class: str, dates: pd.DatetimeIndex,
           close: np.ndarray) -> dict[str, np.ndarray]:
    """Open/high/low around the close and a lognormal volume, from the instrument's 'ohlc' stream."""
    z = _daily_normals(seed, iid, "ohlc", dates, width=4)
    sd = spec.INTRADAY_VOL[asset_class] / np.sqrt(TRADING_DAYS_PER_YEAR)
    open_ = close * np.exp(0.5 * sd * z[:, 0])
    high = np.maximum(open_, close) * np.exp(0.5 * sd * np.abs(z[:, 1]))
    low = np.minimum(open_, close) * np.exp(-0.5 * sd * np.abs(z[:, 2]))
    volume = np.round(spec.BASE_VOLUME[asset_class] * np.exp(0.4 * z[:, 3]))
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


@lru_cache(maxsize=4)
def _history(seed: int, start: pd.Timestamp, last_year: int) -> dict[str, pd.DataFrame]:
    """Every synthetic instrument's bars from ``start`` to the end of ``last_year`` (cached)."""
    grid = pd.date_range(start, f"{last_year}-12-31", freq="D", name="date")
    logp = _log_prices(seed, grid)
    trading = is_trading_day(grid)
    table = default_instruments()
    out: dict[str, pd.DataFrame] = {}
    for iid, path in logp.items():
        asset_class = asset_class_of(iid)
        keep = np.ones(len(grid), bool) if asset_class == "crypto" else trading
        dates, log_close = grid[keep], path[keep]
        cols: dict[str, Any] = {}
        if asset_class == "future":
            cols = _futures_close(seed, iid, table.at[iid, "roll_rule"], dates, log_close)
            close = cols.pop("close")
        else:
            close = np.exp(log_close)
        if asset_class == "fixed_income":
            y0 = spec.WALKS[iid].p0 if iid in spec.WALKS else spec.PLANTED[iid].p0
            cols["yield"] = y0 - (log_close - np.log(100.0)) / spec.DURATION[iid]
        frame = pd.DataFrame({"date": dates.values, "instrument_id": iid,
                              **_ohlcv(seed, iid, asset_class, dates, close), **cols})
        out[iid] = frame
    return out


class SyntheticSource:
    """Seeded synthetic bars for equities, futures, bonds and crypto with planted cointegrated pairs.

    ``seed`` picks the market; ``start`` is the epoch every path starts from (no bars before it).
    """

    name = "synthetic"
    asset_classes = ("equity", "future", "fixed_income", "crypto")

    def __init__(self, seed: int = 7, start: Any = "1990-01-02") -> None:
        self.seed = int(seed)
        self.start = pd.Timestamp(start).normalize()

    def instrument_ids(self, asset_class: str | None = None) -> list[str]:
        """All synthetic instrument ids (optionally of one asset class)."""
        return filter_by_class(list(spec.WALKS) + list(spec.PLANTED), asset_class)

    def instruments(self) -> pd.DataFrame:
        """The rows of ``default_instruments()`` this source serves."""
        return default_instruments().loc[self.instrument_ids()]

    def fetch(self, instrument_ids: list[str], start: Any, end: Any) -> pd.DataFrame:
        """Long bars for ``start..end`` inclusive (dates before the epoch have no bars)."""
        ids = check_requested(self.name, instrument_ids, self.instrument_ids())
        lo, hi = date_bounds(start, end)
        lo = max(lo, self.start)
        classes = {asset_class_of(i) for i in ids}
        extra = tuple(c for c, k in (("contract", "future"), ("prev_close", "future"), ("yield", "fixed_income"))
                      if k in classes)
        if hi < lo or not ids:
            return empty_bars(extra)
        history = _history(self.seed, self.start, hi.year // 10 * 10 + 9)  # decade blocks: cache hits
        parts = []
        for iid in ids:
            frame = history[iid]
            dates = frame["date"].to_numpy()
            a, b = np.searchsorted(dates, lo.to_datetime64()), np.searchsorted(dates, hi.to_datetime64(), "right")
            parts.append(frame.iloc[a:b])
        bars = pd.concat(parts, ignore_index=True)
        for col in extra:
            if col not in bars.columns:
                bars[col] = np.nan
        return standardize_bars(bars)

    def ground_truth(self) -> pd.DataFrame:
        """The planted pairs: ``y, x, beta, half_life (trading days), kind ('within'|'cross'),
        alpha (log units), spread_std, y_class, x_class``. The relation holds on log close for
        equities/bonds/crypto and on the continuous (roll-adjusted) price for futures."""
        rows = []
        for y, planted in spec.PLANTED.items():
            y_class, x_class = asset_class_of(y), asset_class_of(planted.x)
            x0 = spec.WALKS[planted.x].p0 if planted.x not in spec.DURATION else 100.0
            y0 = 100.0 if y in spec.DURATION else planted.p0
            rows.append({"y": y, "x": planted.x, "beta": planted.beta, "half_life": planted.half_life,
                         "kind": "within" if y_class == x_class else "cross",
                         "alpha": float(np.log(y0) - planted.beta * np.log(x0)),
                         "spread_std": planted.spread_std, "y_class": y_class, "x_class": x_class})
        return pd.DataFrame(rows)
