"""Batched bivariate Johansen tests (trace and maximum-eigenvalue), statsmodels' ``coint_johansen``.

For a pair of columns ``(a, b)`` the numbers equal
``statsmodels.tsa.vector_ar.vecm.coint_johansen(series[:, [a, b]], det_order, k_ar_diff)``'s
``lr1`` (trace) and ``lr2`` (maximum eigenvalue). Everything that depends on one series only
(detrending, differences, lags, demeaning) is done once per series; the pair-specific part is a
(2k+4)-square Gram matrix per pair, taken from one matrix product over the involved series, and
batched small linear algebra (Schur complements, a symmetric 2x2 eigenproblem) over all pairs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from statsmodels.tsa.coint_tables import c_sja, c_sjt

PAIR_CHUNK = 8_192
FULL_GRAM_MAX = 4_096  # columns of the all-series Gram (4096^2 doubles = 128 MB)


@dataclass(frozen=True)
class JohansenBatchResult:
    """Per-pair Johansen statistics (arrays of length P).

    trace_stat, max_eig_stat : (P, 2) for the null hypotheses r = 0 and r <= 1.
    eigenvalues : (P, 2) descending. trace_crit, max_eig_crit : (2, 3) critical values
    (90 %, 95 %, 99 %) for r = 0 and r <= 1, shared by all pairs.
    """

    trace_stat: np.ndarray
    max_eig_stat: np.ndarray
    eigenvalues: np.ndarray
    trace_crit: np.ndarray
    max_eig_crit: np.ndarray


def _detrend(values: np.ndarray, order: int) -> np.ndarray:
    if order == -1:
        return values
    design = np.vander(np.linspace(-1, 1, len(values)), order + 1)
    return values - design @ np.linalg.lstsq(design, values, rcond=None)[0]


def series_blocks(series: np.ndarray, det_order: int, k_ar_diff: int) -> np.ndarray:
    """(n, N, k+2) per-series variables ``[dx lag 1..k, dx, level]`` as statsmodels builds them."""
    levels = _detrend(series, det_order)
    diff = np.diff(levels, axis=0)
    n = diff.shape[0] - k_ar_diff
    f = 0 if det_order > -1 else -1
    blocks = np.empty((n, series.shape[1], k_ar_diff + 2))
    for lag in range(1, k_ar_diff + 1):  # k is 1..a few
        blocks[:, :, lag - 1] = _detrend(diff[k_ar_diff - lag: k_ar_diff - lag + n], f)
    blocks[:, :, k_ar_diff] = _detrend(diff[k_ar_diff:], f)
    blocks[:, :, k_ar_diff + 1] = _detrend(levels[1: 1 + n], f)
    return blocks


def _pair_grams(blocks: np.ndarray, iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
    """(P, 2k+4, 2k+4) Gram matrices ordered [lags_a, lags_b, dx_a, dx_b, lev_a, lev_b].

    Few series: one matrix product over all of them, then gather. Many series (the full Gram
    would pass FULL_GRAM_MAX columns): a batched product over the pairs of this chunk.
    """
    n, n_series, width = blocks.shape
    k = width - 2
    var_series = np.concatenate([np.zeros(k, int), np.ones(k, int), [0, 1, 0, 1]])
    var_slot = np.concatenate([np.arange(k), np.arange(k), [k, k, k + 1, k + 1]])
    legs = np.stack([iy, ix], axis=1)[:, var_series]
    if n_series * width <= FULL_GRAM_MAX:
        flat = blocks.reshape(n, n_series * width)
        gram = flat.T @ flat
        cols = legs * width + var_slot
        return gram[cols[:, :, None], cols[:, None, :]]
    stacked = blocks[:, legs, var_slot]  # (n, P, 2k+4)
    per_pair = np.ascontiguousarray(stacked.transpose(1, 2, 0))  # (P, 2k+4, n)
    return per_pair @ per_pair.transpose(0, 2, 1)


def _sym_eig2(mat: np.ndarray) -> np.ndarray:
    """Eigenvalues (descending) of symmetric 2x2 matrices (P, 2, 2)."""
    a, b, c = mat[:, 0, 0], mat[:, 0, 1], mat[:, 1, 1]
    mid = 0.5 * (a + c)
    rad = np.hypot(0.5 * (a - c), b)
    return np.stack([mid + rad, mid - rad], axis=1)


def _pair_eigenvalues(grams: np.ndarray, k: int) -> np.ndarray:
    z, rest = slice(0, 2 * k), slice(2 * k, 2 * k + 4)
    cross = grams[:, rest, z]
    if k:
        partial = grams[:, rest, rest] - cross @ np.linalg.solve(grams[:, z, z], np.swapaxes(cross, 1, 2))
    else:
        partial = grams[:, rest, rest]
    s00, s0k, skk = partial[:, :2, :2], partial[:, :2, 2:], partial[:, 2:, 2:]
    chol = np.linalg.cholesky(skk)
    # eig(Skk^-1 Sk0 S00^-1 S0k) = eig(L^-1 Sk0 S00^-1 S0k L^-T), symmetric, with Skk = L L'
    left = np.linalg.solve(chol, np.swapaxes(s0k, 1, 2))
    sym = left @ np.linalg.solve(s00, np.swapaxes(left, 1, 2))
    return _sym_eig2(0.5 * (sym + np.swapaxes(sym, 1, 2)))


def johansen_pairs(series, iy, ix, det_order: int = 0, k_ar_diff: int = 1) -> JohansenBatchResult:
    """Johansen trace and max-eigenvalue statistics of the pairs ``(series[:, iy], series[:, ix])``.

    Parameters
    ----------
    series : (T, N) array (e.g. log prices). iy, ix : column positions of the pairs.
    det_order : -1 (no deterministic terms), 0 (constant) or 1 (linear trend), as statsmodels.
    k_ar_diff : number of lagged differences in the VECM.
    """
    if det_order not in (-1, 0, 1):
        raise ValueError(f"det_order must be -1, 0 or 1, got {det_order}")
    if k_ar_diff < 0:
        raise ValueError(f"k_ar_diff must be >= 0, got {k_ar_diff}")
    series = np.asarray(series, dtype=np.float64)
    iy, ix = np.asarray(iy, dtype=np.int64), np.asarray(ix, dtype=np.int64)
    used, inverse = np.unique(np.concatenate([iy, ix]), return_inverse=True)
    blocks = series_blocks(series[:, used], det_order, k_ar_diff)
    local_y, local_x = inverse[: len(iy)], inverse[len(iy):]
    eig = np.empty((len(iy), 2))
    for start in range(0, len(iy), PAIR_CHUNK):  # chunks of many pairs bound the Gram stack
        part = slice(start, start + PAIR_CHUNK)
        eig[part] = _pair_eigenvalues(_pair_grams(blocks, local_y[part], local_x[part]), k_ar_diff)
    n = blocks.shape[0]
    log_keep = np.log1p(-np.clip(eig, None, 1.0))
    trace = -n * np.stack([log_keep.sum(axis=1), log_keep[:, 1]], axis=1)
    crit_t = np.array([c_sjt(2, det_order), c_sjt(1, det_order)])
    crit_m = np.array([c_sja(2, det_order), c_sja(1, det_order)])
    return JohansenBatchResult(trace, -n * log_keep, eig, crit_t, crit_m)
