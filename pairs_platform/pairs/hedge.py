"""Hedge ratios of pairs, vectorized across pairs: OLS, total least squares, rolling OLS, Kalman.

All functions take ``y`` and ``x`` as (T, P) arrays (column i is pair i; 1-D is one pair), normally
log prices, and follow the spread convention ``spread_t = y_t - beta * x_t - alpha``.
Static fits (``ols_hedge``, ``tls_hedge``) use every row given: pass the formation window only.
Dynamic fits return, for each bar t, estimates that use rows up to and including t (known at
the close of t); ``kalman_hedge`` also returns the one-step-ahead prior that uses rows before t.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange


def _as_2d(y, x) -> tuple[np.ndarray, np.ndarray]:
    y = np.asarray(y, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    y, x = (y[:, None], x[:, None]) if y.ndim == 1 else (y, x)
    if y.shape != x.shape or y.ndim != 2:
        raise ValueError(f"y and x must be (T, P) arrays of one shape, got {y.shape} and {x.shape}")
    if not (np.isfinite(y).all() and np.isfinite(x).all()):
        raise ValueError("y and x must be finite; clean missing prices before fitting hedge ratios")
    return y, x


def _moments(y, x):
    my, mx = y.mean(axis=0), x.mean(axis=0)
    yc, xc = y - my, x - mx
    return my, mx, (xc * xc).sum(0), (xc * yc).sum(0), (yc * yc).sum(0)


def ols_hedge(y, x) -> tuple[np.ndarray, np.ndarray]:
    """OLS ``y = alpha + beta x`` per column: (beta, alpha), each of length P."""
    y, x = _as_2d(y, x)
    my, mx, sxx, sxy, _ = _moments(y, x)
    beta = sxy / sxx
    return beta, my - beta * mx


def tls_hedge(y, x) -> tuple[np.ndarray, np.ndarray]:
    """Total least squares (orthogonal regression) per column: (beta, alpha).

    Minimizes perpendicular distances, so it treats both legs symmetrically:
    ``beta_yx = 1 / beta_xy`` (unlike OLS). Closed form of the 2x2 principal axis.
    """
    y, x = _as_2d(y, x)
    my, mx, sxx, sxy, syy = _moments(y, x)
    half_gap = 0.5 * (syy - sxx)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = (half_gap + np.hypot(half_gap, sxy)) / sxy
    return beta, my - beta * mx


def rolling_ols_hedge(y, x, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Rolling OLS over the trailing ``window`` rows ending at t: (beta, alpha), each (T, P).

    Row t uses rows t-window+1..t (NaN before the first full window). Sliding sums are taken on
    values shifted by each column's first value, which keeps the cancellation small.
    """
    y, x = _as_2d(y, x)
    if not 2 <= window <= y.shape[0]:
        raise ValueError(f"window must be in 2..{y.shape[0]} (rows), got {window}")
    ys, xs = y - y[0], x - x[0]

    def trailing(v):
        c = np.cumsum(np.vstack([np.zeros((1, v.shape[1])), v]), axis=0)
        out = np.full(v.shape, np.nan)
        out[window - 1:] = c[window:] - c[:-window]
        return out

    sx, sy, sxx, sxy = trailing(xs), trailing(ys), trailing(xs * xs), trailing(xs * ys)
    with np.errstate(divide="ignore", invalid="ignore"):
        beta = (sxy - sx * sy / window) / (sxx - sx * sx / window)
    alpha = (sy - beta * sx) / window + y[0] - beta * x[0]
    return beta, alpha


@dataclass(frozen=True)
class KalmanHedge:
    """Kalman-filter hedge paths, each (T, P).

    beta, alpha : filtered state after observing bar t. beta_prior, alpha_prior : the prediction
    for bar t from bars before t (use these to trade on bar t without look-ahead).
    forecast_error, forecast_var : ``y_t - (alpha_prior + beta_prior x_t)`` and its variance.
    """

    beta: np.ndarray
    alpha: np.ndarray
    beta_prior: np.ndarray
    alpha_prior: np.ndarray
    forecast_error: np.ndarray
    forecast_var: np.ndarray


@njit(cache=True, parallel=True, error_model="numpy")
def _kalman_kernel(y, x, q, r, p0, out):
    n_obs, n_pairs = y.shape
    for i in prange(n_pairs):
        b, a = 0.0, 0.0
        p11, p12, p22 = p0, 0.0, p0  # state covariance of (beta, alpha)
        for t in range(n_obs):
            p11, p22 = p11 + q, p22 + q  # random-walk state: predict
            out[2, t, i], out[3, t, i] = b, a
            xt = x[t, i]
            h1 = p11 * xt + p12  # P h with h = (x_t, 1)
            h2 = p12 * xt + p22
            s = xt * h1 + h2 + r
            err = y[t, i] - (b * xt + a)
            out[4, t, i], out[5, t, i] = err, s
            k1, k2 = h1 / s, h2 / s
            b, a = b + k1 * err, a + k2 * err
            p11, p12, p22 = p11 - k1 * h1, p12 - k1 * h2, p22 - k2 * h2
            out[0, t, i], out[1, t, i] = b, a


def kalman_hedge(y, x, delta: float = 1e-4, obs_var: float = 1e-3, init_var: float = 10.0) -> KalmanHedge:
    """Dynamic (beta, alpha) by a Kalman filter, all pairs in parallel (numba).

    State ``(beta_t, alpha_t)`` follows a random walk with covariance ``delta / (1 - delta) I``
    per bar (Chan 2013's parameterization); ``y_t = beta_t x_t + alpha_t + e_t``,
    ``var(e_t) = obs_var``. The prior state is ``(0, 0)`` with covariance ``init_var I``.
    """
    y, x = _as_2d(y, x)
    if not 0.0 < delta < 1.0 or obs_var <= 0 or init_var <= 0:
        raise ValueError("need 0 < delta < 1, obs_var > 0 and init_var > 0")
    out = np.empty((6,) + y.shape)
    _kalman_kernel(y, x, delta / (1.0 - delta), obs_var, init_var, out)
    return KalmanHedge(*out)
