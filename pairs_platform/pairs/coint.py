"""Batched Engle-Granger cointegration tests, number for number statsmodels' ``coint``.

``coint_batch(y, x)`` tests column pairs of two (T, P) arrays; ``coint_pairs(series, iy, ix)`` tests
pairs of columns of one (T, N) panel without materializing the (T, P) pair arrays (what
``select_pairs`` and the 499,500-pair benchmark use). Both run the same numba kernel
(:mod:`pairs_platform.pairs._adf_kernel`), parallel over pairs, with memory bounded by the panel
plus a few arrays of length P.

For every pair ``i`` the results equal
``statsmodels.tsa.stattools.coint(y[:, i], x[:, i], trend=trend, maxlag=maxlag, autolag=autolag)``:
the statistic to about 1e-12 relative and the p-value to about 1e-14 absolute (tested), including
the near-collinear case (R^2 of the first stage >= 1 - 100 sqrt(eps): statistic -inf, p-value 0,
``lag = -1``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pairs_platform.pairs import _adf_kernel as kernel
from pairs_platform.pairs.mackinnon import mackinnonp

TRENDS = ("c", "ct")
AUTOLAGS = {None: kernel.AUTOLAG_NONE, "aic": kernel.AUTOLAG_AIC, "bic": kernel.AUTOLAG_BIC}
CHUNK_CELLS = 4_000_000  # T * pairs per transposed chunk in coint_batch (2 x 32 MB)


@dataclass(frozen=True)
class CointBatchResult:
    """Per-pair Engle-Granger results (arrays of length P).

    stat : ADF t-statistic of the first-stage residual (-inf when near-collinear).
    pvalue : MacKinnon p-value with ``N = 2`` series and the first-stage ``trend``.
    lag : lagged differences used by the ADF regression (-1 when the test was skipped).
    beta, alpha : first-stage ``y = alpha + beta * x (+ trend_coef * t)``, ``t = 1..T``.
    trend_coef : coefficient of the linear trend (0 for trend "c").
    rsquared : first-stage R^2 (centered).
    maxlag : the maximum lag searched (statsmodels' default when ``maxlag=None``).
    """

    stat: np.ndarray
    pvalue: np.ndarray
    lag: np.ndarray
    beta: np.ndarray
    alpha: np.ndarray
    trend_coef: np.ndarray
    rsquared: np.ndarray
    maxlag: int
    trend: str

    def __len__(self) -> int:
        return len(self.stat)

    def __getitem__(self, name: str) -> np.ndarray:
        """Dict-style access to a per-pair array: ``result["pvalue"]``."""
        return self.to_dict()[name]

    def to_dict(self) -> dict[str, np.ndarray]:
        """The per-pair arrays by name (for building a DataFrame)."""
        names = ("stat", "pvalue", "lag", "beta", "alpha", "trend_coef", "rsquared")
        return {name: getattr(self, name) for name in names}


def default_maxlag(nobs: int, maxlag: int | None) -> int:
    """statsmodels' ``adfuller`` lag bound for a residual of ``nobs`` points (regression 'n')."""
    upper = nobs // 2 - 1
    if maxlag is None:
        maxlag = min(upper, int(np.ceil(12.0 * np.power(nobs / 100.0, 1 / 4.0))))
        if maxlag < 0:
            raise ValueError(f"{nobs} observations are too few for the ADF regression; need >= 2")
        return maxlag
    maxlag = int(maxlag)
    if not 0 <= maxlag <= upper:
        raise ValueError(f"maxlag must be in 0..{upper} (nobs // 2 - 1) for {nobs} observations, "
                         f"got {maxlag}")
    return maxlag


def _check_options(trend: str, autolag: str | None) -> int:
    if trend not in TRENDS:
        raise ValueError(f"trend must be one of {TRENDS}, got {trend!r}")
    key = autolag.lower() if isinstance(autolag, str) else autolag
    if key not in AUTOLAGS:
        raise ValueError(f"autolag must be 'aic', 'bic' or None, got {autolag!r}")
    return AUTOLAGS[key]


def _check_columns(values: np.ndarray, name: str, labels=None) -> None:
    """Raise naming the first non-finite cell and the constant columns of a (T, n) array
    (``labels`` are the column numbers to report, default 0..n-1)."""
    labels = np.arange(values.shape[1]) if labels is None else np.asarray(labels)
    bad = ~np.isfinite(values)
    if bad.any():
        t, j = np.argwhere(bad)[0]
        raise ValueError(f"{name} column {labels[j]} is not finite at row {t}; fill or drop "
                         "missing prices before testing")
    flat = np.flatnonzero(np.ptp(values, axis=0) == 0)
    if flat.size:
        raise ValueError(f"{name} columns {labels[flat[:10]].tolist()} are constant; a constant "
                         "series cannot be tested for cointegration: drop it")


def _check_result(result, ys, xs, iy, ix, offset: int = 0) -> None:
    """The kernel turns bad input into non-finite first-stage numbers: explain those pairs."""
    suspect = np.flatnonzero(~np.isfinite(result.beta) | ~np.isfinite(result.rsquared))
    if suspect.size == 0:
        return
    _check_columns(ys[iy[suspect]].T, "y", iy[suspect] + offset)
    _check_columns(xs[ix[suspect]].T, "x", ix[suspect] + offset)
    raise ValueError(f"pairs {(suspect[:10] + offset).tolist()}: x is collinear with the "
                     "deterministic terms (an exact constant or linear trend); drop those pairs")


def _run_kernel(ys, xs, iy, ix, trend, m, method) -> CointBatchResult:
    n_pairs = len(iy)
    out = {k: np.empty(n_pairs) for k in ("stat", "beta", "alpha", "trend_coef", "rsquared")}
    lag = np.empty(n_pairs, dtype=np.int64)
    kernel.coint_kernel(ys, xs, iy, ix, trend == "ct", m, method, out["stat"], lag, out["beta"],
                        out["alpha"], out["trend_coef"], out["rsquared"])
    pvalue = mackinnonp(out["stat"], regression=trend, n_series=2)
    return CointBatchResult(pvalue=pvalue, lag=lag, maxlag=m, trend=trend, **out)


def coint_pairs(series, iy, ix, trend: str = "c", maxlag: int | None = None,
                autolag: str | None = "aic") -> CointBatchResult:
    """Engle-Granger tests of ``series[:, iy[k]]`` on ``series[:, ix[k]]`` for every k.

    ``series`` is a (T, N) array (e.g. log prices); ``iy``/``ix`` are integer column positions.
    Equivalent to ``coint_batch(series[:, iy], series[:, ix], ...)`` without building those arrays.
    """
    method = _check_options(trend, autolag)
    values = np.asarray(series, dtype=np.float64)
    if values.ndim != 2 or values.shape[0] < 4:
        raise ValueError(f"series must be a (T, N) array with T >= 4, got shape {values.shape}")
    _check_columns(values, "series")
    rows = np.ascontiguousarray(values.T)
    iy = np.ascontiguousarray(iy, dtype=np.int64)
    ix = np.ascontiguousarray(ix, dtype=np.int64)
    if iy.shape != ix.shape or iy.ndim != 1:
        raise ValueError(f"iy and ix must be 1-D of equal length, got {iy.shape} and {ix.shape}")
    n_cols = rows.shape[0]
    if len(iy) and (min(iy.min(), ix.min()) < 0 or max(iy.max(), ix.max()) >= n_cols):
        raise IndexError(f"pair column positions must lie in 0..{n_cols - 1}")
    m = default_maxlag(rows.shape[1], maxlag)
    result = _run_kernel(rows, rows, iy, ix, trend, m, method)
    _check_result(result, rows, rows, iy, ix)
    return result


def _concat(parts: list[CointBatchResult], m: int, trend: str) -> CointBatchResult:
    fields = {k: np.concatenate([getattr(p, k) for p in parts])
              for k in ("stat", "pvalue", "lag", "beta", "alpha", "trend_coef", "rsquared")}
    return CointBatchResult(maxlag=m, trend=trend, **fields)


def coint_batch(y, x, trend: str = "c", maxlag: int | None = None,
                autolag: str | None = "aic") -> CointBatchResult:
    """Engle-Granger cointegration test of ``y[:, i]`` on ``x[:, i]`` for every column i.

    Parameters
    ----------
    y, x : (T, P) float arrays, column i holding one pair (a 1-D array is one pair).
    trend : "c" (constant) or "ct" (constant and linear trend) in the cointegrating regression.
    maxlag : largest ADF lag; None uses statsmodels' ``ceil(12 (T/100)^(1/4))`` (27 at T = 2520).
    autolag : "aic", "bic" (lag chosen on a common sample, then refit) or None (use ``maxlag``).

    Returns
    -------
    CointBatchResult with per-pair arrays ``stat, pvalue, lag, beta, alpha, trend_coef, rsquared``,
    each equal to ``statsmodels.tsa.stattools.coint(y[:, i], x[:, i], trend, maxlag=maxlag,
    autolag=autolag)`` for that column. Columns are processed in chunks (bounded memory).
    """
    method = _check_options(trend, autolag)
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y, x = (y[:, None], x[:, None]) if y.ndim == 1 else (y, x)
    if y.shape != x.shape:
        raise ValueError(f"y and x must have the same (T, P) shape, got {y.shape} and {x.shape}")
    n_obs, n_pairs = y.shape
    if n_obs < 4:
        raise ValueError(f"y and x have {n_obs} observations; the test needs at least 4")
    m = default_maxlag(n_obs, maxlag)
    step = max(1, CHUNK_CELLS // max(n_obs, 1))
    parts = []
    for start in range(0, n_pairs, step):  # chunks of thousands of pairs, not a loop over pairs
        stop = min(n_pairs, start + step)
        ys = np.ascontiguousarray(y[:, start:stop].T)
        xs = np.ascontiguousarray(x[:, start:stop].T)
        idx = np.arange(stop - start, dtype=np.int64)
        parts.append(_run_kernel(ys, xs, idx, idx, trend, m, method))
        _check_result(parts[-1], ys, xs, idx, idx, start)
    if not parts:
        empty = np.empty(0)
        return CointBatchResult(empty, empty, np.empty(0, np.int64), empty, empty, empty, empty,
                                m, trend)
    return parts[0] if len(parts) == 1 else _concat(parts, m, trend)
