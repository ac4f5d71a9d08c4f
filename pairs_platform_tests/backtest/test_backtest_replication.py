"""The Gatev-style replication pipeline: selector re-normalizes at the formation end; runs end to end."""
import numpy as np

from pairs_platform.research.replication import gatev_selector, headline_table, run_replication
from synth_backtest_data import instrument_table, synthetic_prices


def test_gatev_selector_measures_divergence_from_the_last_formation_close():
    prices = synthetic_prices(300, 6, seed=4)
    table = gatev_selector(5)(prices)
    assert len(table) == 5 and (table["beta"] == 1.0).all() and (table["spread_mean"] == 0.0).all()
    last = np.log(prices.iloc[-1])
    spread_at_end = last[table["y"]].to_numpy() - last[table["x"]].to_numpy() - table["alpha"].to_numpy()
    np.testing.assert_allclose(spread_at_end, 0.0, atol=1e-12)


def test_replication_runs_on_small_data():
    prices = synthetic_prices(900, 8, seed=6)
    results = run_replication(prices, instrument_table(prices.columns))
    table = headline_table(results)
    assert len(table) == 3 and (table["trades"] > 0).all()
    costs = table["costs ($)"].to_numpy(float)
    assert costs[0] == 0.0 and costs[1] < costs[2]
    eq = [r.equity.iloc[-1] for r in results.values()]
    assert eq[0] > eq[1] > eq[2]  # same trades, more costs
