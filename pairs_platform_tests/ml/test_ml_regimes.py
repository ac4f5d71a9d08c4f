"""Volatility regimes: thresholds fit before fit_end only, labels causal, a turbulent spell detected."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.ml.regimes import (CALM, TURBULENT, UNKNOWN, detect_regimes, fit_volatility_regimes,
                                       market_realized_vol, regime_allows_entry)


def _prices_with_turbulent_spell(seed=5, n=600, spell=(400, 460)):
    rng = np.random.default_rng(seed)
    scale = np.full(n, 0.01)
    scale[spell[0]:spell[1]] = 0.04
    common = rng.normal(0, 1, n) * scale
    returns = common[:, None] + rng.normal(0, 0.005, (n, 5))
    dates = pd.bdate_range("2019-01-01", periods=n, name="date")
    return pd.DataFrame(100 * np.exp(np.cumsum(returns, axis=0)), index=dates,
                        columns=[f"EQ:S{i}" for i in range(5)])


def test_turbulent_spell_is_labelled_turbulent():
    prices = _prices_with_turbulent_spell()
    regimes = detect_regimes(prices, fit_end=prices.index[300])
    assert (regimes.iloc[:20] == UNKNOWN).all()
    assert (regimes.iloc[425:460] == TURBULENT).mean() > 0.95
    assert set(regimes.iloc[20:300].unique()) <= {CALM, 1, TURBULENT}
    assert regimes.index.equals(prices.index)


def test_thresholds_use_only_data_up_to_fit_end():
    prices = _prices_with_turbulent_spell()
    fit_end = prices.index[300]
    shocked = prices.copy()
    shocked.iloc[301:] *= np.exp(np.random.default_rng(1).normal(0, 0.1, shocked.iloc[301:].shape))
    a, b = fit_volatility_regimes(prices, fit_end), fit_volatility_regimes(shocked, fit_end)
    assert a.thresholds == b.thresholds
    ra, rb = a.predict(prices), a.predict(shocked)
    pd.testing.assert_series_equal(ra.iloc[:301], rb.iloc[:301])  # labels at t ignore data after t
    assert not ra.iloc[301:].equals(rb.iloc[301:])


def test_realized_vol_is_annualized_index_vol():
    prices = _prices_with_turbulent_spell()
    vol = market_realized_vol(prices, 20)
    index_returns = np.log(prices).diff().mean(axis=1)
    expected = index_returns.rolling(20).std() * np.sqrt(252)
    np.testing.assert_allclose(vol.iloc[25:], expected.iloc[25:], rtol=1e-10)


def test_allows_entry_blocks_turbulent_and_unknown():
    regimes = pd.Series([UNKNOWN, CALM, 1, TURBULENT], index=pd.bdate_range("2020-01-01", periods=4))
    assert regime_allows_entry(regimes).tolist() == [False, True, True, False]
    assert regime_allows_entry(regimes, allow_unknown=True).tolist() == [True, True, True, False]
    assert regime_allows_entry(regimes, blocked=()).tolist() == [False, True, True, True]


def test_short_history_rejected_with_fit_end_in_message():
    prices = _prices_with_turbulent_spell()
    with pytest.raises(ValueError, match="fit_end=2019-02-12, found 11"):
        fit_volatility_regimes(prices, fit_end=prices.index[30])
