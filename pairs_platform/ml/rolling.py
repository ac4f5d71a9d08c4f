"""Trailing rolling statistics over the columns of a (T, K) array, in one compiled pass.

Rows are dates, columns are series (instruments or pairs). The value at row ``t`` uses rows
``t - window + 1 .. t`` only, and is NaN unless all ``window`` values are finite (like pandas
``rolling(window, min_periods=window)``). Running sums are updated row by row (columns innermost,
cache friendly), so the cost is O(T * K) whatever the window.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def _update(sums: np.ndarray, count: np.ndarray, k: int, x: float, y: float, sign: float) -> None:
    """Adds (sign=1) or removes (sign=-1) one finite observation pair from column k's sums."""
    if np.isfinite(x) and np.isfinite(y):
        sums[0, k] += sign * x
        sums[1, k] += sign * y
        sums[2, k] += sign * x * x
        sums[3, k] += sign * y * y
        sums[4, k] += sign * x * y
        count[k] += int(sign)


@numba.njit(cache=True)
def _rolling_moments(a: np.ndarray, b: np.ndarray, window: int) -> tuple:
    """Trailing std of ``a`` and correlation of ``a`` with ``b``, column by column."""
    rows, cols = a.shape
    sums = np.zeros((5, cols))
    count = np.zeros(cols, dtype=np.int64)
    std_a = np.full((rows, cols), np.nan)
    corr = np.full((rows, cols), np.nan)
    for t in range(rows):
        for k in range(cols):
            _update(sums, count, k, a[t, k], b[t, k], 1.0)
            if t >= window:
                _update(sums, count, k, a[t - window, k], b[t - window, k], -1.0)
            if count[k] == window:
                var_a = max(sums[2, k] - sums[0, k] * sums[0, k] / window, 0.0)
                var_b = max(sums[3, k] - sums[1, k] * sums[1, k] / window, 0.0)
                std_a[t, k] = np.sqrt(var_a / (window - 1))
                if var_a > 0.0 and var_b > 0.0:
                    c = (sums[4, k] - sums[0, k] * sums[1, k] / window) / np.sqrt(var_a * var_b)
                    corr[t, k] = min(max(c, -1.0), 1.0)
    return std_a, corr


def _as_2d(values: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=np.float64)
    if array.ndim != 2:
        raise ValueError(f"rolling statistics need a (dates, series) array, got shape {array.shape}")
    return array


def rolling_std(values: np.ndarray, window: int) -> np.ndarray:
    """(T, K) trailing sample standard deviation (ddof=1) of each column over ``window`` rows."""
    if window < 2:
        raise ValueError(f"rolling window must be >= 2, got {window}")
    array = _as_2d(values)
    return _rolling_moments(array, np.zeros_like(array), window)[0]


def rolling_corr(a: np.ndarray, b: np.ndarray, window: int) -> np.ndarray:
    """(T, K) trailing correlation of column k of ``a`` with column k of ``b`` over ``window`` rows.

    A row counts only where both values are finite; NaN when either column is constant.
    """
    if window < 2:
        raise ValueError(f"rolling window must be >= 2, got {window}")
    left, right = _as_2d(a), _as_2d(b)
    if left.shape != right.shape:
        raise ValueError(f"rolling_corr needs equal shapes, got {left.shape} and {right.shape}")
    return _rolling_moments(left, right, window)[1]
