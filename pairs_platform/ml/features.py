"""Causal features of scheduled pairs, all pairs and dates at once.

``build_features`` turns wide prices, the walk-forward pair schedule and the (T, K) spreads and
z-scores of ``pairs_platform.signals.spreads`` into one long table indexed by ``(date, pair_id)``,
one row per date on which the pair is inside its trading window. Every value on date ``t`` is
computed from data up to and including ``t`` (trailing rolling windows, per-row schedule constants
fit before ``trade_start``), so the table can feed a model that acts at the close of ``t``.
Docs: docs/ml.md.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pairs_platform.ml.rolling import rolling_corr, rolling_std
from pairs_platform.signals.spreads import leg_index, pair_ids, trading_mask

FEATURE_COLUMNS = (
    "z", "abs_z", "z_change_1d", "z_change_5d", "spread_vol_20d", "half_life", "formation_pvalue",
    "leg_corr_60d", "vol_y_20d", "vol_x_20d", "mkt_vol_20d", "mkt_vol_60d", "mkt_vol_ratio",
    "mkt_index_vol_20d", "days_since_trade_start",
)
FEATURE_SCHEDULE_COLUMNS = ("trade_start", "trade_end", "half_life", "pvalue")


def _check_inputs(prices: pd.DataFrame, schedule: pd.DataFrame, zscores: np.ndarray,
                  spreads: np.ndarray) -> None:
    expected = (len(prices.index), len(schedule))
    for name, array in (("zscores", zscores), ("spreads", spreads)):
        if np.shape(array) != expected:
            raise ValueError(f"{name} has shape {np.shape(array)} but prices x schedule is {expected} "
                             "(dates x schedule rows); compute it with pairs_platform.signals.spreads "
                             "from the same prices and schedule")
    missing = [c for c in FEATURE_SCHEDULE_COLUMNS if c not in schedule.columns]
    if missing:
        raise ValueError(f"pair schedule lacks columns {missing} needed by ml features; build it with "
                         "pairs_platform.pairs.schedule.build_pair_schedule")
    if not isinstance(prices.index, pd.DatetimeIndex) or not prices.index.is_monotonic_increasing:
        raise ValueError("prices must have a sorted DatetimeIndex named 'date' (see docs/architecture.md)")


def _lagged_change(values: np.ndarray, lag: int) -> np.ndarray:
    """values[t] - values[t - lag], NaN for the first ``lag`` rows."""
    out = np.full_like(values, np.nan)
    out[lag:] = values[lag:] - values[:-lag]
    return out


def log_returns(prices: pd.DataFrame) -> np.ndarray:
    """(T, N) daily log returns; row 0 is NaN."""
    logp = np.log(prices.to_numpy(dtype=np.float64))
    return _lagged_change(logp, 1)


def market_volatility(returns: np.ndarray, window: int) -> np.ndarray:
    """(T,) cross-sectional mean of each instrument's trailing ``window``-day return volatility."""
    vols = rolling_std(returns, window)
    with np.errstate(all="ignore"):
        counts = np.sum(np.isfinite(vols), axis=1)
        return np.where(counts > 0, np.nansum(vols, axis=1) / np.maximum(counts, 1), np.nan)


def equal_weight_index_returns(returns: np.ndarray) -> np.ndarray:
    """(T,) daily log return of an equal-weight index of all instruments with a return that day."""
    counts = np.sum(np.isfinite(returns), axis=1)
    return np.where(counts > 0, np.nansum(returns, axis=1) / np.maximum(counts, 1), np.nan)


def _market_panel(returns: np.ndarray) -> dict[str, np.ndarray]:
    """(T,) market-regime series: mean single-name vol (20d, 60d), their ratio, index vol."""
    vol20, vol60 = market_volatility(returns, 20), market_volatility(returns, 60)
    with np.errstate(all="ignore"):
        ratio = np.where(vol60 > 0, vol20 / vol60, np.nan)
    index_vol = rolling_std(equal_weight_index_returns(returns)[:, None], 20)[:, 0]
    return {"mkt_vol_20d": vol20, "mkt_vol_60d": vol60, "mkt_vol_ratio": ratio,
            "mkt_index_vol_20d": index_vol}


def _change_at(values: np.ndarray, rows: np.ndarray, cols: np.ndarray, lag: int) -> np.ndarray:
    """values[t, k] - values[t - lag, k] at the given cells (NaN where t < lag)."""
    earlier = np.where(rows >= lag, values[np.maximum(rows - lag, 0), cols], np.nan)
    return values[rows, cols] - earlier


def _leg_correlation_at(returns: np.ndarray, iy: np.ndarray, ix: np.ndarray, rows: np.ndarray,
                        cols: np.ndarray) -> np.ndarray:
    """60-day leg-return correlation at the given cells, computed once per distinct (y, x) pair."""
    legs, pair_of_row = np.unique(np.stack([iy, ix], axis=1), axis=0, return_inverse=True)
    corr = rolling_corr(returns[:, legs[:, 0]], returns[:, legs[:, 1]], 60)
    return corr[rows, pair_of_row.ravel()[cols]]


def _feature_values(prices: pd.DataFrame, schedule: pd.DataFrame, z: np.ndarray, spreads: np.ndarray,
                    rows: np.ndarray, cols: np.ndarray) -> dict[str, np.ndarray]:
    """Every feature at the in-window cells (rows = date positions, cols = schedule rows).

    Per-instrument and per-date series are computed once and gathered, so memory stays at one
    (T, K) panel (the spread volatility) however many features there are.
    """
    returns = log_returns(prices)
    iy, ix = leg_index(prices, schedule)
    leg_vol = rolling_std(returns, 20)
    start = prices.index.searchsorted(pd.to_datetime(schedule["trade_start"]).values, side="left")
    values = {
        "z": z[rows, cols], "abs_z": np.abs(z[rows, cols]),
        "z_change_1d": _change_at(z, rows, cols, 1), "z_change_5d": _change_at(z, rows, cols, 5),
        "spread_vol_20d": rolling_std(_lagged_change(spreads, 1), 20)[rows, cols],
        "half_life": schedule["half_life"].to_numpy(dtype=np.float64)[cols],
        "formation_pvalue": schedule["pvalue"].to_numpy(dtype=np.float64)[cols],
        "leg_corr_60d": _leg_correlation_at(returns, iy, ix, rows, cols),
        "vol_y_20d": leg_vol[rows, iy[cols]], "vol_x_20d": leg_vol[rows, ix[cols]],
        "days_since_trade_start": (rows - start[cols]).astype(np.float64),
    }
    values.update({name: series[rows] for name, series in _market_panel(returns).items()})
    return values


def build_features(prices: pd.DataFrame, schedule: pd.DataFrame, zscores: np.ndarray,
                   spreads: np.ndarray) -> pd.DataFrame:
    """Long feature table indexed by ``(date, pair_id)`` for every in-window (date, pair).

    Args:
        prices: wide prices (DatetimeIndex ``date``, one column per instrument id).
        schedule: pair schedule with the columns of ``signals.spreads.SCHEDULE_COLUMNS`` plus
            ``half_life`` and ``pvalue`` (and ``window_id`` for pair ids).
        zscores, spreads: (T, K) arrays from ``pairs_platform.signals.spreads`` on the same
            prices and schedule (rows = dates of ``prices``, columns = schedule rows).

    Returns:
        float64 columns ``FEATURE_COLUMNS``; rows sorted by date then schedule row; pair ids from
        ``signals.spreads.pair_ids``. Warm-up values (rolling windows not yet full) are NaN.
    """
    _check_inputs(prices, schedule, zscores, spreads)
    ids = pair_ids(schedule)
    duplicated = pd.Index(ids).duplicated()
    if duplicated.any():
        dupes = sorted(set(np.asarray(ids, dtype=object)[duplicated]))
        raise ValueError(f"pair schedule has duplicate rows for pair ids {dupes[:5]}; "
                         "keep one row per (window_id, y, x)")
    in_window = trading_mask(prices.index, schedule)
    rows, cols = np.nonzero(in_window)
    values = _feature_values(prices, schedule, np.asarray(zscores, dtype=np.float64),
                             np.asarray(spreads, dtype=np.float64), rows, cols)
    data = {name: values[name] for name in FEATURE_COLUMNS}
    index = pd.MultiIndex.from_arrays([prices.index[rows], np.asarray(ids, dtype=object)[cols]],
                                      names=["date", "pair_id"])
    return pd.DataFrame(data, index=index)


def to_panel(values: pd.Series, dates: pd.DatetimeIndex, ids: list[str],
             fill: float = np.nan) -> np.ndarray:
    """(T, K) array from a Series indexed by ``(date, pair_id)``; ``fill`` where no row exists.

    The inverse of the long layout of ``build_features``: use it to turn predicted probabilities
    into the (T, K) panel the signal filters take.
    """
    out = np.full((len(dates), len(ids)), fill, dtype=np.float64)
    if len(values) == 0:
        return out
    t = pd.Index(dates).get_indexer(values.index.get_level_values("date"))
    k = pd.Index(ids).get_indexer(values.index.get_level_values("pair_id"))
    keep = (t >= 0) & (k >= 0)
    out[t[keep], k[keep]] = values.to_numpy(dtype=np.float64)[keep]
    return out
