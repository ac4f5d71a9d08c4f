"""Causal regime models (volatility quantiles, Gaussian mixture, HMM) refit at each cutoff."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.ml.regime_models import (RegimeModelConfig, _forward_filter, causal_regimes,
                                             regime_features)
from pairs_platform.ml.regimes import TURBULENT, UNKNOWN, regime_allows_entry

METHODS = ("volatility", "gmm", "hmm")


def _prices(seed=5, n=600, spells=((150, 210), (430, 480))):
    """Common-factor market with two turbulent spells (4x the factor volatility)."""
    rng = np.random.default_rng(seed)
    scale = np.full(n, 0.01)
    for lo, hi in spells:
        scale[lo:hi] = 0.04
    returns = (rng.normal(0, 1, n) * scale)[:, None] + rng.normal(0, 0.005, (n, 5))
    dates = pd.bdate_range("2019-01-01", periods=n, name="date")
    return pd.DataFrame(100 * np.exp(np.cumsum(returns, axis=0)), index=dates,
                        columns=[f"EQ:S{i}" for i in range(5)])


@pytest.fixture(scope="module")
def prices():
    return _prices()


CUTOFF_ROWS = [300, 400]


@pytest.mark.parametrize("method", METHODS)
def test_second_turbulent_spell_detected_and_contract_kept(prices, method):
    cutoffs = list(prices.index[CUTOFF_ROWS])
    regimes = causal_regimes(prices, cutoffs, RegimeModelConfig(method=method))
    assert regimes.index.equals(prices.index) and regimes.dtype == np.int64
    assert (regimes.iloc[:300] == UNKNOWN).all()  # before the first cutoff: no model yet
    assert set(regimes.iloc[300:].unique()) <= {0, 1, 2}
    assert (regimes.iloc[435:465] == TURBULENT).mean() > 0.9  # inside the spell (430-480)
    assert (regimes.iloc[320:420] == TURBULENT).mean() < 0.25
    assert not regime_allows_entry(regimes).iloc[440:465].any()


@pytest.mark.parametrize("method", METHODS)
def test_changing_prices_after_t_changes_no_label_up_to_t(prices, method):
    cutoffs = list(prices.index[[250, 350, 450]])
    config = RegimeModelConfig(method=method)
    base = causal_regimes(prices, cutoffs, config)
    for t in (349, 350, 420):  # just before a cutoff, on a cutoff, inside a segment
        shocked = prices.copy()
        shocked.iloc[t + 1:] *= np.exp(np.random.default_rng(t).normal(0, 0.05, shocked.iloc[t + 1:].shape))
        moved = causal_regimes(shocked, cutoffs, config)
        pd.testing.assert_series_equal(base.iloc[:t + 1], moved.iloc[:t + 1])
        assert not base.iloc[t + 1:].equals(moved.iloc[t + 1:])  # the shock is visible afterwards


def test_forward_filter_last_row_equals_hmmlearn_posterior(prices):
    from hmmlearn.hmm import GaussianHMM

    z = regime_features(prices).dropna().to_numpy()
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    model = GaussianHMM(3, covariance_type="full", random_state=2, n_iter=50).fit(z)
    log_emission = model._compute_log_likelihood(z)
    filtered = _forward_filter(log_emission, model.startprob_, model.transmat_)
    smoothed = model.predict_proba(z)
    np.testing.assert_allclose(filtered[-1], smoothed[-1], atol=1e-8)  # equal only at the last day
    np.testing.assert_allclose(filtered.sum(axis=1), 1.0)
    assert np.abs(filtered[:-1] - smoothed[:-1]).max() > 1e-3  # smoothing would look ahead


def test_short_history_segment_is_unknown_and_bad_config_named(prices):
    regimes = causal_regimes(prices, list(prices.index[[100, 400]]), RegimeModelConfig(method="gmm"))
    assert (regimes.iloc[:400] == UNKNOWN).all() and (regimes.iloc[400:] != UNKNOWN).all()
    with pytest.raises(ValueError, match="method 'kmeans'"):
        RegimeModelConfig(method="kmeans")


def test_implied_correlation_of_a_one_factor_market(prices):
    features = regime_features(prices)
    calm = features["corr"].iloc[320:400]
    # factor sd 0.01, idiosyncratic 0.005: correlation 1e-4 / (1e-4 + 2.5e-5) = 0.8
    assert calm.median() == pytest.approx(0.8, abs=0.1)
    assert features["corr"].iloc[455:480].median() > 0.95
