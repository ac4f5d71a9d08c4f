"""Hedge ratios: OLS, TLS, rolling OLS and Kalman, against direct references."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.pairs import kalman_hedge, ols_hedge, rolling_ols_hedge, tls_hedge


@pytest.fixture(scope="module")
def legs():
    rng = np.random.default_rng(4)
    x = 4.0 + np.cumsum(rng.normal(0, 0.01, (300, 3)), axis=0)
    y = 0.3 + np.array([0.8, 1.0, 1.3]) * x + rng.normal(0, 0.005, (300, 3))
    return y, x


def test_ols_and_tls_match_lstsq_and_svd(legs):
    y, x = legs
    beta, alpha = ols_hedge(y, x)
    tls_beta, tls_alpha = tls_hedge(y, x)
    for i in range(3):
        params = np.linalg.lstsq(np.column_stack([x[:, i], np.ones(300)]), y[:, i], rcond=None)[0]
        assert (beta[i], alpha[i]) == pytest.approx(params, rel=1e-10)
        centered = np.column_stack([x[:, i] - x[:, i].mean(), y[:, i] - y[:, i].mean()])
        normal = np.linalg.svd(centered)[2][-1]  # direction of least variance
        assert tls_beta[i] == pytest.approx(-normal[0] / normal[1], rel=1e-9)
        assert tls_alpha[i] == pytest.approx(y[:, i].mean() - tls_beta[i] * x[:, i].mean(), rel=1e-9)
    swapped, _ = tls_hedge(x, y)
    assert swapped == pytest.approx(1.0 / tls_beta, rel=1e-9)


def test_rolling_ols_matches_pandas_and_uses_only_past_rows(legs):
    y, x = legs
    beta, alpha = rolling_ols_hedge(y, x, window=60)
    frame_x, frame_y = pd.DataFrame(x), pd.DataFrame(y)
    expected = (frame_x.rolling(60).cov(frame_y) / frame_x.rolling(60).var()).to_numpy()
    assert np.isnan(beta[:59]).all()
    np.testing.assert_allclose(beta[59:], expected[59:], rtol=1e-7)
    t = 150
    direct_beta, direct_alpha = ols_hedge(y[t - 59:t + 1], x[t - 59:t + 1])
    np.testing.assert_allclose(alpha[t], direct_alpha, rtol=1e-8)
    y_future = y.copy()
    y_future[t + 1:] += 5.0  # changing the future must not change the estimate at t
    np.testing.assert_array_equal(rolling_ols_hedge(y_future, x, 60)[0][t], beta[t])


def _kalman_reference(y, x, delta, obs_var, init_var):
    state, cov = np.zeros(2), init_var * np.eye(2)
    q = delta / (1 - delta) * np.eye(2)
    betas, priors = [], []
    for t in range(len(y)):
        cov = cov + q
        priors.append(state[0])
        h = np.array([x[t], 1.0])
        s = h @ cov @ h + obs_var
        gain = cov @ h / s
        state = state + gain * (y[t] - h @ state)
        cov = cov - np.outer(gain, h @ cov)
        betas.append(state[0])
    return np.array(betas), np.array(priors)


def test_kalman_matches_reference_filter_and_prior_has_no_lookahead(legs):
    y, x = legs
    result = kalman_hedge(y, x, delta=1e-4, obs_var=1e-4)
    beta_ref, prior_ref = _kalman_reference(y[:, 2], x[:, 2], 1e-4, 1e-4, 10.0)
    np.testing.assert_allclose(result.beta[:, 2], beta_ref, rtol=1e-8)
    np.testing.assert_allclose(result.beta_prior[:, 2], prior_ref, rtol=1e-8, atol=1e-12)
    np.testing.assert_array_equal(result.beta_prior[1:], result.beta[:-1])
    assert result.beta[-1] == pytest.approx([0.8, 1.0, 1.3], abs=0.1)
    with pytest.raises(ValueError, match="delta"):
        kalman_hedge(y, x, delta=1.5)
