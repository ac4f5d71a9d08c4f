"""The real-data-only sleeve: the same strategy re-run on the pairs whose both legs are real."""
import numpy as np
import pytest

from pairs_platform.backtest import run_backtest
from pairs_platform.backtest.sleeves import real_headline, run_sleeves, sleeve_table, synthetic_legs
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from synth_backtest_data import instrument_table, ols_selector, synthetic_prices

PAIRS = [("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3"), ("EQ:S4", "EQ:S5")]


@pytest.fixture(scope="module")
def market():
    prices = synthetic_prices(700, 6, seed=5)
    schedule = build_pair_schedule(prices, walk_forward_windows(prices.index, 200, 120), ols_selector(PAIRS))
    instruments = instrument_table(prices.columns)
    instruments["data_source"] = ["bundled"] * 4 + ["synthetic"] * 2  # S4 and S5 are made up
    return prices, schedule, instruments


def test_split_by_data_source_and_rerun(market):
    prices, schedule, instruments = market
    synthetic = synthetic_legs(schedule, instruments)
    assert synthetic.tolist() == [y == "EQ:S4" for y in schedule["y"]]
    allowed = np.ones((len(prices), len(schedule)), dtype=bool)
    allowed[::3] = False  # an entry filter: its columns must follow the rows into each sleeve
    sleeves = run_sleeves(prices, schedule, instruments, allowed, capital=1e6)
    full = run_backtest(prices, schedule, instruments, capital=1e6, entry_allowed=allowed)
    np.testing.assert_allclose(sleeves["all"].equity.to_numpy(), full.equity.to_numpy())
    real_rows = schedule[~synthetic].reset_index(drop=True)
    alone = run_backtest(prices, real_rows, instruments, capital=1e6, entry_allowed=allowed[:, ~synthetic])
    np.testing.assert_allclose(sleeves["real data only"].equity.to_numpy(), alone.equity.to_numpy())
    assert set(sleeves["real data only"].trades["y"]) <= {"EQ:S0", "EQ:S2"}
    table = sleeve_table(sleeves, schedule, instruments)
    assert table.loc["real data only", "pairs_scheduled"] == (~synthetic).sum()
    assert table.loc["with a synthetic leg", "pairs_scheduled"] == synthetic.sum()
    assert real_headline(sleeves)["sharpe"] == pytest.approx(alone.summary["sharpe"])


def test_unknown_leg_is_named(market):
    prices, schedule, instruments = market
    with pytest.raises(KeyError, match="EQ:S5"):
        synthetic_legs(schedule, instruments.drop(index="EQ:S5"))
