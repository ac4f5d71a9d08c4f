"""Confirmation filters of entries: ML probability, regime, z-score momentum, and their combination."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.signals.entries import entry_zone
from confirmation_filters import combine_filters, ml_filter, momentum_filter, regime_filter

Z = np.array([[0.0, 0.0], [2.2, -2.5], [2.6, -2.1], [2.3, -1.5], [4.2, -2.4]])
MASK = np.array([[1, 1], [1, 1], [1, 1], [1, 0], [1, 1]], dtype=bool)
DATES = pd.bdate_range("2024-03-01", periods=5)


def test_entry_zone_respects_window_and_stop():
    zone = entry_zone(Z, MASK, entry=2.0, stop=4.0)
    assert zone.tolist() == [[False, False], [True, True], [True, True], [True, False], [False, True]]


def test_ml_filter_thresholds_and_rejects_nan():
    zone = entry_zone(Z, MASK, 2.0, 4.0)
    proba = np.array([[0.9, 0.9], [0.7, 0.2], [np.nan, 0.6], [0.6, 0.9], [0.9, 0.59]])
    assert ml_filter(zone, proba, 0.6).tolist() == [[False, False], [True, False], [False, True],
                                                   [True, False], [False, False]]
    with pytest.raises(ValueError, match="threshold"):
        ml_filter(zone, proba, 1.5)
    with pytest.raises(ValueError, match="proba has shape"):
        ml_filter(zone, proba[:-1], 0.5)


def test_regime_filter_aligns_dates_and_fails_closed():
    zone = entry_zone(Z, MASK, 2.0, 4.0)
    allowed = pd.Series([True, False, True, True], index=DATES[[0, 1, 2, 4]])  # DATES[3] missing
    out = regime_filter(zone, allowed, DATES)
    assert out.tolist() == [[False, False], [False, False], [True, True], [False, False], [False, True]]
    np.testing.assert_array_equal(regime_filter(zone, np.array([1, 0, 1, 0, 1], bool)), out)
    with pytest.raises(ValueError, match="dates"):
        regime_filter(zone, allowed)


def test_momentum_filter_needs_abs_z_turning_back():
    zone = entry_zone(Z, MASK, 2.0, 4.0)
    out = momentum_filter(zone, Z, entry=2.0)
    # col 0: 2.2 (first rise) no, 2.6 rising no, 2.3 falling yes; col 1: -2.1 after -2.5 yes, -2.4 rising no
    assert out.tolist() == [[False, False], [False, False], [False, True], [True, False], [False, False]]
    everywhere = np.ones_like(zone)
    assert not momentum_filter(everywhere, Z, entry=2.0)[3, 1]  # |z| 1.5 below entry


def test_combine_filters_is_logical_and():
    a = np.array([[True, True], [False, True]])
    b = np.array([[True, False], [True, True]])
    assert combine_filters(a, b).tolist() == [[True, False], [False, True]]
    assert combine_filters(a).tolist() == a.tolist() and combine_filters(a) is not a
    with pytest.raises(ValueError, match="mask 1"):
        combine_filters(a, b[:1])
    with pytest.raises(ValueError):
        combine_filters()
