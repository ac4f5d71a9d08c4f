"""The synthetic source: determinism, coverage of the four asset classes, and planted pairs."""
import itertools

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.stattools import coint

from pairs_platform.data import (
    clean_bars, continuous_futures, default_instruments, is_trading_day, to_wide, trading_days,
)
from pairs_platform.data.sources.synthetic import SyntheticSource
from pairs_platform.data.sources.synthetic_spec import DURATION


@pytest.fixture(scope="module")
def source():
    return SyntheticSource(seed=7)


@pytest.fixture(scope="module")
def panel(source):
    """Cleaned log prices (futures continuous) for 2012-2015 on the trading calendar."""
    days = trading_days("2012-01-03", "2015-12-31")
    raw = source.fetch(source.instrument_ids(), "2011-12-01", days[-1])
    instruments = default_instruments()
    bars = clean_bars(raw, days, instruments).bars
    return np.log(to_wide(continuous_futures(bars, instruments)))


def test_subrange_equals_slice_of_full_range(source):
    ids = ["EQ:SYNA", "FUT:CL", "FI:UST10Y", "CRYPTO:BTC-USD", "FUT:NQ"]
    full = source.fetch(ids, "1990-01-02", "2024-06-30")
    fresh = SyntheticSource(seed=7)  # same seed, new instance
    for lo, hi in [("2003-02-14", "2003-03-03"), ("2024-06-20", "2024-06-30"), ("1990-01-02", "1990-01-05")]:
        part = fresh.fetch(ids, lo, hi)
        expected = full[full["date"].between(lo, hi)].reset_index(drop=True)
        pd.testing.assert_frame_equal(part, expected)
    # a different epoch end (later decade) does not change earlier values
    later = fresh.fetch(ids, "2003-02-14", "2003-03-03")
    longer = fresh.fetch(ids, "2003-02-14", "2041-01-10")
    pd.testing.assert_frame_equal(later, longer[longer["date"] <= "2003-03-03"].reset_index(drop=True))


def test_seed_changes_the_market(source):
    a = source.fetch(["EQ:SYNA"], "2020-01-02", "2020-01-10")["close"].to_numpy()
    b = SyntheticSource(seed=8).fetch(["EQ:SYNA"], "2020-01-02", "2020-01-10")["close"].to_numpy()
    assert not np.allclose(a, b)


def test_all_four_classes_and_calendars(source):
    bars = source.fetch(source.instrument_ids(), "2024-03-25", "2024-04-07")
    classes = default_instruments().loc[bars["instrument_id"].unique(), "asset_class"]
    assert set(classes) == {"equity", "future", "fixed_income", "crypto"}
    crypto = bars["instrument_id"].str.startswith("CRYPTO:")
    assert (~is_trading_day(bars.loc[crypto, "date"])).sum() == 5 * 5  # 2 weekends + Good Friday, 5 coins
    assert is_trading_day(bars.loc[~crypto, "date"]).all()
    assert bars.groupby("instrument_id").size()["CRYPTO:BTC-USD"] == 14
    assert ((bars["high"] >= bars[["open", "close"]].max(axis=1)) &
            (bars["low"] <= bars[["open", "close"]].min(axis=1)) & (bars["low"] > 0)).all()


def test_futures_roll_on_schedule_with_a_gap(source):
    bars = source.fetch(["FUT:ES"], "2023-01-01", "2023-12-31").set_index("date")
    assert list(bars["contract"].unique()) == ["ESH2023", "ESM2023", "ESU2023", "ESZ2023", "ESH2024"]
    rolls = bars.index[bars["contract"].ne(bars["contract"].shift()) & bars["contract"].shift().notna()]
    assert list(rolls.strftime("%m-%d")) == ["03-10", "06-09", "09-08", "12-08"]  # 5 days before 3rd Friday
    cl = source.fetch(["FUT:CL"], "2023-01-01", "2023-12-31")
    assert cl["contract"].nunique() == 13  # CLG2023 .. CLG2024


def test_bond_price_and_yield_follow_duration(source):
    bars = source.fetch(["FI:UST10Y", "FI:IG5Y"], "2010-01-01", "2010-12-31")
    for iid, frame in bars.groupby("instrument_id"):
        dlogp, dy = np.log(frame["close"]).diff(), frame["yield"].diff()
        np.testing.assert_allclose(dlogp.iloc[1:], -DURATION[iid] * dy.iloc[1:], rtol=1e-9, atol=1e-12)
        assert frame["yield"].between(-0.05, 0.5).all()


def test_ground_truth_lists_within_and_cross_pairs(source):
    truth = source.ground_truth()
    assert {"y", "x", "beta", "half_life", "kind"} <= set(truth.columns)
    assert set(truth["kind"]) == {"within", "cross"}
    assert set(truth["y"]) | set(truth["x"]) <= set(source.instrument_ids())
    assert {"equity", "future", "fixed_income", "crypto"} <= set(truth["y_class"]) | set(truth["x_class"])


def test_planted_pairs_are_cointegrated(source, panel):
    for row in source.ground_truth().itertuples():
        pvalue = coint(panel[row.y], panel[row.x])[1]
        assert pvalue < 0.01, f"{row.y} ~ {row.x}: p={pvalue:.4f}"
        beta = np.polyfit(panel[row.x], panel[row.y], 1)[0]
        assert abs(beta - row.beta) < 0.25 * abs(row.beta), f"{row.y} ~ {row.x}: beta {beta:.2f}"


def test_independent_walks_are_mostly_not_cointegrated(source, panel):
    truth = source.ground_truth()
    planted = set(truth["y"])  # y legs are tied to their x; keep only free walks
    free = [c for c in panel.columns if c not in planted]
    pvalues = np.array([coint(panel[a], panel[b], maxlag=1, autolag=None)[1]
                        for a, b in itertools.combinations(free, 2)])
    assert len(pvalues) >= 50
    assert (pvalues < 0.01).mean() < 0.05
