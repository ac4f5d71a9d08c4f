"""Johansen parity, MacKinnon p-values, BH q-values and spread statistics."""
import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests
from statsmodels.tsa.adfvalues import mackinnonp as sm_mackinnonp
from statsmodels.tsa.vector_ar.vecm import coint_johansen

from pairs_platform.pairs import bh_qvalues, johansen_pairs, mackinnonp, select_by_fdr
from pairs_platform.pairs.candidates import pairs_within_labels
from pairs_platform.pairs.spread_stats import (crossings_per_year, half_life, hurst_exponent,
                                               pair_return_correlation, return_correlation_matrix)


@pytest.mark.parametrize("det_order, k_ar_diff", [(-1, 0), (0, 1), (1, 2)])
def test_johansen_matches_statsmodels(det_order, k_ar_diff):
    rng = np.random.default_rng(det_order + 5)
    series = np.cumsum(rng.normal(size=(200, 5)), axis=0)
    series[:, 1] = 0.6 * series[:, 0] + rng.normal(size=200)
    iy, ix = np.triu_indices(5, 1)
    result = johansen_pairs(series, iy, ix, det_order=det_order, k_ar_diff=k_ar_diff)
    for p in range(len(iy)):
        ref = coint_johansen(series[:, [iy[p], ix[p]]], det_order, k_ar_diff)
        np.testing.assert_allclose(result.trace_stat[p], ref.lr1, rtol=1e-8)
        np.testing.assert_allclose(result.max_eig_stat[p], ref.lr2, rtol=1e-8)
    np.testing.assert_allclose(result.trace_crit, ref.cvt)
    assert result.trace_stat[0, 0] > result.trace_crit[0, 2]  # the planted pair (0, 1)


def test_johansen_many_series_path_equals_full_gram_path(monkeypatch):
    from pairs_platform.pairs import johansen

    rng = np.random.default_rng(9)
    series = np.cumsum(rng.normal(size=(150, 12)), axis=0)
    iy, ix = np.triu_indices(12, 1)
    full = johansen_pairs(series, iy, ix)
    monkeypatch.setattr(johansen, "FULL_GRAM_MAX", 8)
    monkeypatch.setattr(johansen, "PAIR_CHUNK", 7)
    batched = johansen_pairs(series, iy, ix)
    np.testing.assert_allclose(batched.trace_stat, full.trace_stat, rtol=1e-10)


def test_mackinnonp_equals_statsmodels_everywhere():
    stats = np.concatenate([np.linspace(-25, 4, 3001), [-np.inf, np.inf]])
    for regression in ("c", "ct", "n"):
        for n_series in (1, 2, 3):
            ours = mackinnonp(stats, regression, n_series)
            with np.errstate(invalid="ignore"):  # statsmodels' own polyval(inf) for "n", N=1
                ref = [sm_mackinnonp(s, regression=regression, N=n_series) for s in stats]
            np.testing.assert_array_equal(ours, ref)


def test_bh_qvalues_match_statsmodels_and_keep_nan():
    rng = np.random.default_rng(0)
    p = np.concatenate([rng.uniform(size=200), rng.uniform(0, 1e-4, 20)])
    expected = multipletests(p, alpha=0.05, method="fdr_bh")
    np.testing.assert_allclose(bh_qvalues(p), expected[1], rtol=1e-12)
    np.testing.assert_array_equal(select_by_fdr(p, 0.05), expected[0])
    q = bh_qvalues([0.01, np.nan, 0.04])
    assert np.isnan(q[1]) and q[0] == pytest.approx(0.02) and q[2] == pytest.approx(0.04)


def test_spread_statistics_on_known_processes():
    rng = np.random.default_rng(1)
    n = 5000
    ar = np.zeros((n, 2))
    shocks = rng.normal(size=(n, 2))
    for t in range(1, n):
        ar[t] = np.array([0.9, 0.5]) * ar[t - 1] + shocks[t]
    walk = np.cumsum(rng.normal(size=(n, 1)), axis=0)
    spreads = np.hstack([ar, walk])
    hl = half_life(spreads)
    assert hl[0] == pytest.approx(np.log(2) / -np.log(0.9), rel=0.1)
    assert hl[1] == pytest.approx(1.0, rel=0.1) and hl[2] > 200
    hurst = hurst_exponent(spreads)
    assert hurst[0] < 0.3 and hurst[1] < 0.2 and hurst[2] == pytest.approx(0.5, abs=0.08)
    square = np.tile([1.0, -1.0], 126)[:, None]  # crosses its mean every bar
    assert crossings_per_year(square)[0] == pytest.approx(252.0)


def test_pairs_within_labels_skips_noise_and_missing():
    iy, ix = pairs_within_labels(np.array([0, 1, 0, -1, -1, 1]))
    assert list(zip(iy, ix)) == [(0, 2), (1, 5)]
    iy, ix = pairs_within_labels(["tech", None, "tech", "energy"])
    assert list(zip(iy, ix)) == [(0, 2)]


def test_pair_return_correlation_matches_numpy():
    rng = np.random.default_rng(3)
    series = np.cumsum(rng.normal(size=(120, 6)), axis=0)
    iy, ix = np.triu_indices(6, 1)
    expected = np.corrcoef(np.diff(series, axis=0), rowvar=False)[iy, ix]
    np.testing.assert_allclose(pair_return_correlation(series, iy, ix, chunk=4), expected, rtol=1e-12)
    np.testing.assert_allclose(return_correlation_matrix(series)[iy, ix], expected, rtol=1e-12)
