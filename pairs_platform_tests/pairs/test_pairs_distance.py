"""Distance method (Gatev et al. 2006): SSD of normalized indices, spread convention."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.pairs import distance_pairs, ssd_matrix


def _prices(n_days=300, n_series=8, seed=3):
    rng = np.random.default_rng(seed)
    rets = rng.normal(0, 0.01, size=(n_days, n_series))
    rets[:, 1] = rets[:, 0] + rng.normal(0, 0.001, n_days)  # a near twin of column 0
    values = 50.0 * np.exp(np.cumsum(rets, axis=0)) * np.arange(1, n_series + 1)
    index = pd.DatetimeIndex(pd.bdate_range("2020-01-01", periods=n_days), name="date")
    return pd.DataFrame(values, index=index, columns=[f"EQ:S{i}" for i in range(n_series)])


def test_ssd_matrix_matches_direct_sum():
    prices = _prices()
    values = prices.to_numpy()
    ssd = ssd_matrix(values)
    norm = values / values[0]
    direct = ((norm[:, 2] - norm[:, 5]) ** 2).sum()
    assert ssd[2, 5] == pytest.approx(direct, rel=1e-10)
    assert np.allclose(ssd, ssd.T)


def test_distance_pairs_ranks_twin_first_and_follows_spread_convention():
    prices = _prices()
    table = distance_pairs(prices, n_pairs=5)
    assert list(table.columns[:7]) == ["y", "x", "ssd", "beta", "alpha", "spread_mean", "spread_std"]
    assert len(table) == 5
    assert (table.loc[0, "y"], table.loc[0, "x"]) == ("EQ:S0", "EQ:S1")
    assert table["ssd"].is_monotonic_increasing
    row = table.iloc[0]
    logp = np.log(prices)
    spread = logp[row.y] - row.beta * logp[row.x] - row.alpha
    assert row.beta == 1.0
    assert spread.iloc[0] == pytest.approx(0.0, abs=1e-12)
    assert spread.mean() == pytest.approx(row.spread_mean, rel=1e-10)
    assert spread.std(ddof=1) == pytest.approx(row.spread_std, rel=1e-10)


def test_distance_pairs_rejects_bad_price_with_name_and_date():
    prices = _prices()
    prices.iloc[10, 3] = -1.0
    with pytest.raises(ValueError, match=r"EQ:S3.*2020-01-15"):
        distance_pairs(prices)
