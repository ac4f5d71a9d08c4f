"""select_pairs: planted pairs found, independent walks rejected, table contract and funnel."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.pairs import NO_FILTERS, PairFilters, select_pairs
from pairs_platform.pairs.synthetic import planted_pairs_prices, recall_and_false_share


@pytest.fixture(scope="module")
def planted():
    return planted_pairs_prices(n_walks=40, n_planted=16, n_obs=504, seed=1)


def test_planted_pairs_found_at_fdr_5pct(planted):
    prices, truth = planted
    table = select_pairs(prices, fdr=0.05, filters=NO_FILTERS)
    recall, false_share = recall_and_false_share(table, truth)
    assert recall >= 0.95
    assert false_share <= 0.10  # one seed; the pooled benchmark figure is in docs/pair_selection.md


def test_independent_random_walks_select_almost_nothing(planted):
    prices, _ = planted
    walks = prices.loc[:, prices.columns.str.startswith("SYN:W")]
    table = select_pairs(walks, fdr=0.05, filters=NO_FILTERS)
    assert table.attrs["funnel"]["candidates"] == 40 * 39 // 2
    assert len(table) <= 1


def test_table_contract_spread_convention_and_funnel(planted):
    prices, _ = planted
    table = select_pairs(prices, max_pairs=5)
    for column in ["y", "x", "beta", "alpha", "half_life", "spread_mean", "spread_std", "pvalue",
                   "qvalue", "stat", "correlation", "hurst", "crossings_per_year", "ssd",
                   "johansen_trace", "rank"]:
        assert column in table.columns
    assert list(table["rank"]) == list(range(1, len(table) + 1)) and len(table) == 5
    assert table["pvalue"].is_monotonic_increasing
    row = table.iloc[0]
    spread = np.log(prices[row.y]) - row.beta * np.log(prices[row.x]) - row.alpha
    assert spread.mean() == pytest.approx(row.spread_mean, abs=1e-12)
    assert spread.std(ddof=1) == pytest.approx(row.spread_std, rel=1e-10)
    funnel = table.attrs["funnel"]
    counts = [funnel[k] for k in ("candidates", "passed_test", "passed_half_life", "passed_hurst",
                                  "passed_crossings")]
    assert counts == sorted(counts, reverse=True) and funnel["tested"] == 2 * funnel["candidates"]
    assert funnel["selected"] == 5 and funnel["screening_seconds"] > 0


def test_filters_remove_slow_pairs(planted):
    prices, _ = planted
    loose = select_pairs(prices, filters=NO_FILTERS)
    strict = select_pairs(prices, filters=PairFilters(max_half_life=3.0, max_hurst=None,
                                                      min_crossings_per_year=None))
    assert 0 < len(strict) < len(loose)
    assert (strict["half_life"] <= 3.0).all()


def test_group_candidates_use_instrument_sector(planted):
    prices, truth = planted
    ids = list(prices.columns)
    sector = ["tech" if i % 2 == 0 else "energy" for i in range(40)] + ["tech"] * 16
    instruments = pd.DataFrame({"sector": sector, "asset_class": "equity"},
                               index=pd.Index(ids, name="instrument_id"))
    table = select_pairs(prices, instruments, candidates="group", filters=NO_FILTERS)
    assert table.attrs["funnel"]["candidates"] == 20 * 19 // 2 + 36 * 35 // 2
    sectors = instruments["sector"]
    assert (sectors[table["y"]].to_numpy() == sectors[table["x"]].to_numpy()).all()
    with pytest.raises(KeyError, match="SYN:P015"):
        select_pairs(prices, instruments.iloc[:-1], candidates="group")


def test_optics_and_explicit_candidates(planted):
    prices, _ = planted
    optics = select_pairs(prices, candidates="optics", filters=NO_FILTERS)
    assert optics.attrs["funnel"]["candidates"] < 56 * 55 // 2
    explicit = select_pairs(prices, candidates=[("SYN:P000", "SYN:W000"), ("SYN:W001", "SYN:W002")],
                            filters=NO_FILTERS, direction="fixed")
    assert explicit.attrs["funnel"]["tested"] == 2
    assert list(zip(explicit["y"], explicit["x"])) == [("SYN:P000", "SYN:W000")]


def test_johansen_and_distance_methods(planted):
    prices, truth = planted
    johansen = select_pairs(prices, method="johansen", filters=NO_FILTERS)
    assert johansen["johansen_trace"].is_monotonic_decreasing
    assert recall_and_false_share(johansen, truth)[0] >= 0.9
    distance = select_pairs(prices, method="distance", n_pairs=10, filters=NO_FILTERS)
    assert len(distance) == 10 and distance["ssd"].is_monotonic_increasing
    assert (distance["beta"] == 1.0).all() and distance["qvalue"].isna().all()


def test_bad_input_named():
    prices, _ = planted_pairs_prices(n_walks=4, n_planted=1, n_obs=60, seed=0)
    prices.iloc[5, 2] = np.nan
    with pytest.raises(ValueError, match=r"SYN:W002.*2015-01-08"):
        select_pairs(prices)
    with pytest.raises(ValueError, match="method must be"):
        select_pairs(prices.ffill(), method="kalman")
