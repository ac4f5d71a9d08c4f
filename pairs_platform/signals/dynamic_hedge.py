"""Trailing (look-ahead-free) hedge ratios and spread statistics of scheduled pairs, all pairs at once.

Complements :mod:`pairs_platform.signals.spreads` (which it does not change): every value at bar t
is computed from log prices at bars t-window+1 .. t only.

- :func:`rolling_hedge`: trailing OLS of log y on log x over ``window`` bars; the z-score at t is
  the regression residual at t divided by the residual standard deviation of that same window
  (``sqrt(var_y - beta * cov_xy)``, ddof=1 moments), so the hedge ratio and the z-score move together.
- :func:`spread_change_volatility`: trailing standard deviation (ddof=1) of daily spread changes,
  the volatility estimate of volatility-targeted sizing.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pairs_platform.signals.spreads import leg_index


def rolling_hedge(prices: pd.DataFrame, schedule: pd.DataFrame, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(beta, alpha, z), each (T, K): trailing OLS hedge of every schedule row; NaN until ``window`` bars."""
    if window < 3:
        raise ValueError(f"rolling hedge window must be >= 3 bars, got {window}")
    logp = np.log(prices.to_numpy(dtype=np.float64))
    iy, ix = leg_index(prices, schedule)
    ly, lx = pd.DataFrame(logp[:, iy]), pd.DataFrame(logp[:, ix])
    var_x = lx.rolling(window).var(ddof=1).to_numpy()
    var_y = ly.rolling(window).var(ddof=1).to_numpy()
    cov = ly.rolling(window).cov(lx, ddof=1).to_numpy()
    mean_x, mean_y = lx.rolling(window).mean().to_numpy(), ly.rolling(window).mean().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = np.where(var_x > 0, cov / var_x, np.nan)
        alpha = mean_y - beta * mean_x
        resid_std = np.sqrt(np.clip(var_y - beta * cov, 0.0, None))
        resid = ly.to_numpy() - beta * lx.to_numpy() - alpha
        z = np.where(resid_std > 0, resid / resid_std, np.nan)
    return beta, alpha, z


def spread_change_volatility(spreads: np.ndarray, window: int) -> np.ndarray:
    """(T, K) trailing standard deviation (ddof=1) of one-bar spread changes over ``window`` changes."""
    if window < 2:
        raise ValueError(f"spread volatility window must be >= 2 bars, got {window}")
    changes = pd.DataFrame(np.diff(spreads, axis=0, prepend=np.nan))
    return changes.rolling(window).std(ddof=1).to_numpy()
