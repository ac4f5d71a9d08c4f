"""Statistics of pair spreads, all pairs at once (columns of a (T, K) spread array).

Spread convention: ``spread_t = log P_y,t - beta * log P_x,t - alpha``. Every function here takes a
(T, K) float array with one spread (or price series) per column and returns one value per column.
"""
from __future__ import annotations

import numpy as np

from pairs_platform.conventions import TRADING_DAYS_PER_YEAR

LN2 = float(np.log(2.0))


def pair_spreads(series: np.ndarray, iy, ix, beta, alpha) -> np.ndarray:
    """(T, K) spreads ``series[:, iy] - beta * series[:, ix] - alpha`` (series: log prices)."""
    return series[:, iy] - np.asarray(beta) * series[:, ix] - np.asarray(alpha)


def half_life(spread: np.ndarray) -> np.ndarray:
    """Half-life of mean reversion in bars, from the AR(1) fit ``s_t = c + phi s_{t-1} + u_t``.

    ``-ln 2 / ln(phi)`` for ``0 < phi < 1``; ``inf`` when the spread does not revert (phi >= 1)
    and 0 when ``phi <= 0`` (reverts within one bar).
    """
    lagged, current = spread[:-1], spread[1:]
    lag_c = lagged - lagged.mean(axis=0)
    cur_c = current - current.mean(axis=0)
    phi = np.einsum("tk,tk->k", lag_c, cur_c) / np.einsum("tk,tk->k", lag_c, lag_c)
    with np.errstate(divide="ignore", invalid="ignore"):
        hl = -LN2 / np.log(phi)
    return np.where(phi >= 1.0, np.inf, np.where(phi <= 0.0, 0.0, hl))


def hurst_exponent(spread: np.ndarray, max_lag: int = 100) -> np.ndarray:
    """Hurst exponent from the scaling of lagged differences: ``std(s_{t+tau} - s_t) ~ tau^H``.

    Fitted by least squares on log-log over about 20 log-spaced lags from 2 to
    ``min(max_lag, T // 4)``. 0.5 is a random walk; below 0.5 the spread mean-reverts.
    """
    n_obs = spread.shape[0]
    top = min(max_lag, n_obs // 4)
    if top < 3:
        raise ValueError(f"Hurst exponent needs at least 12 observations, got {n_obs}")
    lags = np.unique(np.round(np.geomspace(2, top, 20)).astype(int))
    log_std = np.empty((len(lags), spread.shape[1]))
    for row, lag in enumerate(lags):  # ~20 lags; each step is vectorized over time and pairs
        log_std[row] = np.log(np.std(spread[lag:] - spread[:-lag], axis=0))
    log_lag = np.log(lags) - np.log(lags).mean()
    return log_lag @ (log_std - log_std.mean(axis=0)) / (log_lag @ log_lag)


def crossings_per_year(spread: np.ndarray, periods_per_year: float = float(TRADING_DAYS_PER_YEAR)) -> np.ndarray:
    """How often the spread crosses its own formation mean, per year of ``periods_per_year`` bars."""
    sign = np.sign(spread - spread.mean(axis=0))
    crossings = np.count_nonzero(sign[1:] * sign[:-1] < 0, axis=0)
    return crossings * periods_per_year / (spread.shape[0] - 1)


def _unit_changes(series: np.ndarray) -> np.ndarray:
    changes = np.diff(series, axis=0)
    changes = changes - changes.mean(axis=0)
    scale = np.sqrt(np.einsum("tn,tn->n", changes, changes))
    with np.errstate(divide="ignore", invalid="ignore"):
        return changes / scale


def return_correlation_matrix(series: np.ndarray) -> np.ndarray:
    """(N, N) Pearson correlation of the bar-to-bar changes of (log) price series."""
    unit = _unit_changes(series)
    return unit.T @ unit


def pair_return_correlation(series: np.ndarray, iy, ix, chunk: int = 4096) -> np.ndarray:
    """Pearson correlation of the bar-to-bar changes of the pairs (series[:, iy], series[:, ix])."""
    unit = _unit_changes(series)
    iy, ix = np.asarray(iy), np.asarray(ix)
    out = np.empty(len(iy))
    for start in range(0, len(iy), chunk):  # chunks of thousands of pairs bound the memory
        part = slice(start, start + chunk)
        out[part] = np.einsum("tk,tk->k", unit[:, iy[part]], unit[:, ix[part]])
    return out
