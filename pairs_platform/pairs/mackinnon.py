"""MacKinnon (1994, 2010) approximate p-values, vectorized, bit-for-bit statsmodels' ``mackinnonp``.

The response-surface coefficients and cut-offs are read from ``statsmodels.tsa.adfvalues`` itself,
so the tables cannot drift; the evaluation (cut-offs, Horner polynomial, normal CDF) follows
``statsmodels.tsa.adfvalues.mackinnonp`` step by step, one array at a time.
"""
from __future__ import annotations

import numpy as np
from scipy.stats import norm
from statsmodels.tsa import adfvalues

REGRESSIONS = ("c", "n", "ct", "ctt")


def mackinnonp(stat, regression: str = "c", n_series: int = 1) -> np.ndarray:
    """Approximate asymptotic p-values of (A)DF / Engle-Granger t-statistics.

    Parameters
    ----------
    stat : array of test statistics (any shape; -inf gives 0, +inf gives 1, NaN gives NaN).
    regression : deterministic terms of the test, "c", "n", "ct" or "ctt".
    n_series : number of I(1) series in the test (1 for ADF, 2 for a pair's Engle-Granger test).
    """
    if regression not in REGRESSIONS:
        raise ValueError(f"regression must be one of {REGRESSIONS}, got {regression!r}")
    if not 1 <= n_series <= 6:
        raise ValueError(f"MacKinnon tables cover 1..6 series, got n_series={n_series}")
    k = n_series - 1
    stat = np.asarray(stat, dtype=np.float64)
    small = np.asarray(adfvalues._tau_smallps[regression][k])[::-1]
    large = np.asarray(adfvalues._tau_largeps[regression][k])[::-1]
    use_small = stat <= adfvalues._tau_stars[regression][k]
    with np.errstate(invalid="ignore", over="ignore"):
        pval = np.where(use_small, norm.cdf(np.polyval(small, stat)), norm.cdf(np.polyval(large, stat)))
    pval = np.where(stat > adfvalues._tau_maxs[regression][k], 1.0, pval)
    pval = np.where(stat < adfvalues._tau_mins[regression][k], 0.0, pval)
    return pval
