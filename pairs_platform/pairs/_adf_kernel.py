"""Numba kernels of the batched Engle-Granger test (statsmodels ``coint`` semantics).

Per pair: the first-stage OLS ``y ~ x + const (+ trend)`` is solved on centered data
(Frisch-Waugh, one regressor at a time, as accurate as QR), then the ADF regression of the
residual without deterministic terms. Every ADF regression of the lag search uses the same rows, so
all of them are prefixes of one Gram matrix of ``[e_{t-1}, d_{t-1} .. d_{t-m}, d_t]``; one
O(T * maxlag) pass builds it (one row of lagged products, the rest by sliding the window along its
diagonals) and one Cholesky factorization gives the residual sum of squares of every lag length.
The chosen lag is refit on its own (longer) sample, as statsmodels does, from the same sums plus
the few extra head rows, with the level column last so that its t-value is read off the factor.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

LOG_2PI = float(np.log(2.0 * np.pi))
COLLINEAR_RSQ = 1.0 - 100.0 * float(np.sqrt(np.finfo(np.double).eps))
AUTOLAG_NONE, AUTOLAG_AIC, AUTOLAG_BIC = 0, 1, 2
BLOCK = 64
_FM = {"reassoc", "contract"}


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _mean(v):
    s = 0.0
    for t in range(v.shape[0]):
        s += v[t]
    return s / v.shape[0]


@njit(cache=True, fastmath=_FM, error_model="numpy")
def _dot(a, b):
    s = 0.0
    for t in range(a.shape[0]):
        s += a[t] * b[t]
    return s


@njit(cache=True, fastmath=_FM, error_model="numpy")
def first_stage(y, x, with_trend, yc, xc, e):
    """OLS of y on [x, 1(, t=1..T)]; fills residual ``e``; returns beta, alpha, gamma, R^2."""
    n = y.shape[0]
    my, mx = _mean(y), _mean(x)
    for t in range(n):
        yc[t] = y[t] - my
        xc[t] = x[t] - mx
    gamma_y = gamma_x = 0.0
    tmid = 0.5 * (n + 1.0)
    if with_trend:
        stt = 0.0
        sty = 0.0
        stx = 0.0
        for t in range(n):
            tc = t + 1.0 - tmid
            stt += tc * tc
            sty += tc * yc[t]
            stx += tc * xc[t]
        gamma_y, gamma_x = sty / stt, stx / stt
        for t in range(n):
            tc = t + 1.0 - tmid
            yc[t] -= gamma_y * tc
            xc[t] -= gamma_x * tc
    syy_total = 0.0
    for t in range(n):
        syy_total += (y[t] - my) ** 2
    beta = _dot(xc, yc) / _dot(xc, xc)
    for t in range(n):
        e[t] = yc[t] - beta * xc[t]
    gamma = gamma_y - beta * gamma_x
    alpha = my - beta * mx - gamma * tmid
    rsq = 1.0 - _dot(e, e) / syy_total
    return beta, alpha, gamma, rsq


@njit(cache=True, fastmath=_FM, error_model="numpy")
def search_gram(e, d, m, g):
    """Gram of [e_{t-1}, d_{t-1}..d_{t-m}, d_t] over rows t = m+1..T-1 into g[:m+2, :m+2]."""
    n = e.shape[0]
    a = m + 1
    resp = m + 1
    rows = n - a
    d_now, e_lag = d[a:n], e[a - 1:n - 1]  # slices: non-negative indices let the loops vectorize
    for j in range(m + 1):
        d_lag = d[a - j:n - j]
        sdd = 0.0
        sed = 0.0
        for k in range(rows):
            sdd += d_now[k] * d_lag[k]
            sed += e_lag[k] * d_lag[k]
        col = resp if j == 0 else j
        g[resp, col] = sdd
        g[col, resp] = sdd
        g[0, col] = sed
        g[col, 0] = sed
    g[0, 0] = 0.0
    for t in range(a, n):
        g[0, 0] += e[t - 1] * e[t - 1]
    # lagged block: H[i+1][j+1] = H[i][j] + d[a-1-i] d[a-1-j] - d[n-1-i] d[n-1-j]
    for i in range(m):
        vi = resp if i == 0 else i
        for j in range(i, m):
            vj = resp if j == 0 else j
            val = g[vi, vj] + d[a - 1 - i] * d[a - 1 - j] - d[n - 1 - i] * d[n - 1 - j]
            g[i + 1, j + 1] = val
            g[j + 1, i + 1] = val


@njit(cache=True, error_model="numpy")
def cholesky_rows(g, k, lo):
    """Lower Cholesky factor of the regressors g[:k, :k] plus the response row g[k, :k].

    Fills lo[:k, :k] and lo[k, :k] (the response's projections on the orthonormalized
    regressors); returns False if the regressors are not positive definite.
    """
    for i in range(k + 1):
        for j in range(min(i + 1, k)):
            s = g[i, j]
            for q in range(j):
                s -= lo[i, q] * lo[j, q]
            if i == j:
                if not s > 0.0:
                    return False
                lo[i, i] = np.sqrt(s)
            else:
                lo[i, j] = s / lo[j, j]
    return True


@njit(cache=True, error_model="numpy")
def best_lag(g, lo, m, nobs, method):
    """Lag (0..m) minimizing AIC or BIC over the nested search regressions (ties: fewest lags).

    A regression with as many regressors as rows fits exactly; statsmodels' round-off SSR then
    gives it an information criterion of about -inf, so it is chosen, as here.
    """
    resp = m + 1
    if not cholesky_rows(g, m + 1, lo):
        return -1
    ssr = g[resp, resp]
    best, best_ic = -1, np.inf
    penalty = 2.0 if method == AUTOLAG_AIC else np.log(nobs)
    half = nobs / 2.0
    for k in range(1, m + 2):
        ssr -= lo[resp, k - 1] * lo[resp, k - 1]
        llf = -half * LOG_2PI - half * np.log(ssr / nobs) - half
        ic = -2.0 * llf + penalty * k if nobs > k else -np.inf
        if ic < best_ic:
            best_ic, best = ic, k - 1
    return best


@njit(cache=True, error_model="numpy")
def final_gram(g, e, d, m, p, gf):
    """Gram of [d_{t-1}..d_{t-p}, e_{t-1}, d_t] over rows t = p+1..T-1 (search sums + head rows)."""
    k = p + 2
    src = np.empty(k, dtype=np.int64)
    for i in range(p):
        src[i] = i + 1
    src[p] = 0
    src[p + 1] = m + 1
    for i in range(k):
        for j in range(k):
            gf[i, j] = g[src[i], src[j]]
    z = np.empty(k)
    for t in range(p + 1, m + 1):
        for i in range(p):
            z[i] = d[t - 1 - i]
        z[p] = e[t - 1]
        z[p + 1] = d[t]
        for i in range(k):
            for j in range(k):
                gf[i, j] += z[i] * z[j]


@njit(cache=True, error_model="numpy")
def level_tvalue(gf, lo, p, nobs):
    """t-value of the level coefficient (column p) in the regression whose Gram is gf."""
    k = p + 1
    if not cholesky_rows(gf, k, lo):
        return np.nan
    if nobs <= k:  # exact fit: statsmodels' standard error is inf and its t-value 0
        return 0.0
    ssr = gf[k, k]
    for j in range(k):
        ssr -= lo[k, j] * lo[k, j]
    return lo[k, p] / np.sqrt(ssr / (nobs - k))


@njit(cache=True, error_model="numpy")
def adf_no_trend(e, d, m, method, g, gf, lo):
    """ADF t-statistic (regression 'n') of residual e and the lag it used (statsmodels rules)."""
    n = e.shape[0]
    d[0] = 0.0
    for t in range(1, n):
        d[t] = e[t] - e[t - 1]
    search_gram(e, d, m, g)
    p = m
    if method != AUTOLAG_NONE:
        p = best_lag(g, lo, m, n - 1 - m, method)
        if p < 0:
            return np.nan, -1
    final_gram(g, e, d, m, p, gf)
    return level_tvalue(gf, lo, p, n - 1 - p), p


@njit(cache=True, parallel=True, error_model="numpy")
def coint_kernel(ys, xs, iy, ix, with_trend, m, method, stat, lag, beta, alpha, gamma, rsq):
    """Engle-Granger statistics of pairs (ys[iy[i]], xs[ix[i]]); series are rows of ys / xs."""
    n_pairs = iy.shape[0]
    n = ys.shape[1]
    n_blocks = (n_pairs + BLOCK - 1) // BLOCK
    for b in prange(n_blocks):
        yc, xc, e, d = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
        g, gf, lo = np.empty((m + 2, m + 2)), np.empty((m + 2, m + 2)), np.zeros((m + 2, m + 2))
        for i in range(b * BLOCK, min(n_pairs, (b + 1) * BLOCK)):
            bt, al, ga, r2 = first_stage(ys[iy[i]], xs[ix[i]], with_trend, yc, xc, e)
            beta[i], alpha[i], gamma[i], rsq[i] = bt, al, ga, r2
            if r2 < COLLINEAR_RSQ:
                stat[i], lag[i] = adf_no_trend(e, d, m, method, g, gf, lo)
            else:
                stat[i], lag[i] = -np.inf, -1

