"""coint_batch / coint_pairs against statsmodels' coint, case by case (property test)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from statsmodels.tsa.stattools import adfuller, coint

from pairs_platform.pairs import coint as coint_module
from pairs_platform.pairs.coint import coint_batch, coint_pairs


def _statsmodels(y, x, trend, maxlag, autolag):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, pvalue, _ = coint(y, x, trend=trend, maxlag=maxlag, autolag=autolag)
    return stat, pvalue


def _pair_case(kind, n_obs, rng):
    x = np.cumsum(rng.normal(size=n_obs)) + 50.0
    if kind == "independent":
        return np.cumsum(rng.normal(size=n_obs)) + 20.0, x
    if kind == "near_collinear":
        scale = 10.0 ** rng.uniform(-9.0, -1.0) * x.std()
        return 1.5 * x + 2.0 + scale * rng.normal(size=n_obs), x
    ar = np.zeros(n_obs)
    shocks = rng.normal(size=n_obs)
    for t in range(1, n_obs):
        ar[t] = rng.uniform(0.3, 0.95) * ar[t - 1] + shocks[t]
    return 0.8 * x + 3.0 + ar, x


@settings(max_examples=50, deadline=None, derandomize=True)
@given(kind=st.sampled_from(["cointegrated", "independent", "near_collinear", "short"]),
       seed=st.integers(0, 2**31 - 1), trend=st.sampled_from(["c", "ct"]),
       autolag=st.sampled_from(["aic", "bic", None]), maxlag_kind=st.sampled_from(["default", "small"]))
def test_matches_statsmodels_coint(kind, seed, trend, autolag, maxlag_kind):
    rng = np.random.default_rng(seed)
    n_obs = int(rng.integers(12, 40)) if kind == "short" else int(rng.integers(60, 400))
    maxlag = None if maxlag_kind == "default" else int(rng.integers(0, 5))
    case_kind = rng.choice(["cointegrated", "independent", "near_collinear"]) if kind == "short" else kind
    pairs = [_pair_case(case_kind, n_obs, rng) for _ in range(3)]
    y = np.column_stack([p[0] for p in pairs])
    x = np.column_stack([p[1] for p in pairs])
    result = coint_batch(y, x, trend=trend, maxlag=maxlag, autolag=autolag)
    for i in range(3):
        stat, pvalue = _statsmodels(y[:, i], x[:, i], trend, maxlag, autolag)
        if np.isinf(stat):
            assert result.stat[i] == stat
        else:
            assert result.stat[i] == pytest.approx(stat, rel=1e-8, abs=1e-12)
        assert abs(result.pvalue[i] - pvalue) <= 1e-8


def test_near_collinear_gives_minus_inf_and_zero_pvalue():
    rng = np.random.default_rng(7)
    x = np.cumsum(rng.normal(size=200))
    y = np.column_stack([2.0 * x + 1.0, 2.0 * x + 1.0 + 1e-9 * rng.normal(size=200)])
    result = coint_batch(y, np.column_stack([x, x]))
    assert np.all(result.stat == -np.inf) and np.all(result.pvalue == 0.0)
    assert np.all(result.lag == -1)
    assert result.beta == pytest.approx([2.0, 2.0]) and result.alpha == pytest.approx([1.0, 1.0])


def test_lag_and_hedge_match_statsmodels_adfuller_and_ols():
    rng = np.random.default_rng(11)
    x = np.cumsum(rng.normal(size=(300, 4)), axis=0)
    y = 0.5 * x + np.cumsum(rng.normal(size=(300, 4)), axis=0) * np.array([0.05, 0.2, 1.0, 2.0])
    result = coint_batch(y, x, trend="ct", autolag="bic")
    for i in range(4):
        design = np.column_stack([x[:, i], np.ones(300), np.arange(1, 301)])
        params = np.linalg.lstsq(design, y[:, i], rcond=None)[0]
        assert (result.beta[i], result.alpha[i], result.trend_coef[i]) == pytest.approx(params, rel=1e-9)
        resid = y[:, i] - design @ params
        adf = adfuller(resid, regression="n", autolag="BIC", result_object=True)
        assert result.lag[i] == adf.lags
    assert result.maxlag == 16  # ceil(12 * 3 ** 0.25) = ceil(15.79)


def test_coint_pairs_equals_coint_batch_and_chunking_changes_nothing(monkeypatch):
    rng = np.random.default_rng(2)
    panel = np.cumsum(rng.normal(size=(150, 6)), axis=0)
    iy, ix = np.triu_indices(6, 1)
    by_index = coint_pairs(panel, iy, ix, autolag=None, maxlag=2)
    monkeypatch.setattr(coint_module, "CHUNK_CELLS", 150 * 4)  # 4 pairs per chunk
    by_columns = coint_batch(panel[:, iy], panel[:, ix], autolag=None, maxlag=2)
    # The kernel's sums are compiled with fastmath reassociation: a block's last bit can depend on
    # its buffers' alignment (docs/scale.md), seen here once in a few fresh processes (5e-16
    # relative). The statistics agree to 1e-12 relative; the chosen lags exactly.
    np.testing.assert_allclose(by_index.stat, by_columns.stat, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(by_index.lag, by_columns.lag)
    assert len(by_columns) == 15


@pytest.mark.parametrize("bad, message", [
    (dict(maxlag=100), "maxlag must be in 0..49"),
    (dict(trend="ctt"), "trend must be one of"),
    (dict(autolag="t-stat"), "autolag must be"),
])
def test_rejects_bad_options(bad, message):
    rng = np.random.default_rng(0)
    y, x = np.cumsum(rng.normal(size=(2, 100, 2)), axis=1)
    with pytest.raises(ValueError, match=message):
        coint_batch(y, x, **bad)


def test_rejects_constant_and_missing_columns():
    rng = np.random.default_rng(0)
    y, x = np.cumsum(rng.normal(size=(2, 100, 3)), axis=1)
    x[:, 1] = 5.0
    with pytest.raises(ValueError, match=r"x columns \[1\] are constant"):
        coint_batch(y, x)
    x[:, 1] = np.linspace(1, 2, 100)
    y[40, 2] = np.nan
    with pytest.raises(ValueError, match="column 2 is not finite at row 40"):
        coint_batch(y, x)
