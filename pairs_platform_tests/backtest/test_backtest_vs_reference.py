"""The compiled engine matches the plain event-driven reference simulator on randomized cases."""
import math

import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams, run_backtest
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from reference_simulator import ReferenceSimulator
from synth_backtest_data import instrument_table, ols_selector, synthetic_prices


def random_case(seed):
    rng = np.random.default_rng(seed)
    n_inst = 5
    prices = synthetic_prices(int(rng.integers(260, 340)), n_inst, seed=seed, phi=rng.uniform(0.8, 0.95))
    opens = prices.shift(1).bfill() * np.exp(rng.normal(0, 0.003, prices.shape))
    ids = list(prices.columns)
    pairs = [tuple(rng.choice(ids, 2, replace=False)) for _ in range(int(rng.integers(2, 5)))]
    windows = walk_forward_windows(prices.index, 100, 60, int(rng.choice([60, 40])))
    schedule = build_pair_schedule(prices, windows, ols_selector(pairs))
    schedule["half_life"] = rng.uniform(2, 12, len(schedule))
    inst = instrument_table(ids, lot=rng.choice([1, 1, 5, 10], n_inst), multiplier=rng.choice([1.0, 1.0, 2.5], n_inst),
                            asset_class=rng.choice(["equity", "future", "crypto"], n_inst),
                            borrow_bps=np.where(rng.random(n_inst) < 0.3, np.nan, rng.uniform(10, 300, n_inst)),
                            shortable=rng.random(n_inst) > 0.15)
    entry = rng.uniform(1.0, 2.2)
    params = StrategyParams(
        entry_z=entry, exit_z=rng.uniform(-0.5, 0.5), stop_z=entry + rng.uniform(0.5, 2.0) if rng.random() < 0.7 else math.inf,
        zscore=str(rng.choice(["formation", "rolling"])), lookback=int(rng.integers(10, 40)), dynamic_hedge=bool(rng.random() < 0.25),
        max_holding_days=int(rng.choice([0, rng.integers(5, 30)])), max_holding_halflives=float(rng.choice([0, rng.uniform(1, 4)])),
        cooldown_days=int(rng.integers(0, 6)), pnl_stop=float(rng.choice([0, rng.uniform(0.005, 0.05)])),
        sizing=str(rng.choice(["equal", "vol_target"])), pair_capital=rng.uniform(0.1, 0.6), vol_target=rng.uniform(0.05, 0.4),
        vol_lookback=int(rng.integers(10, 30)), fill=str(rng.choice(["next_close", "next_open"])))
    costs = CostModel(commission_per_unit=rng.uniform(0, 0.02), min_commission=rng.uniform(0, 2), slippage_bps=rng.uniform(0, 20),
                      borrow_fee_bps=None if rng.random() < 0.7 else 50.0, default_borrow_bps=rng.uniform(0, 100))
    limits = RiskLimits(max_gross=float(rng.choice([math.inf, rng.uniform(0.3, 2.0)])), max_net=rng.uniform(0.05, 1.0),
                        max_instrument=rng.uniform(0.15, 1.0),
                        max_class_gross={"crypto": rng.uniform(0.1, 0.8)} if rng.random() < 0.5 else {},
                        max_open_pairs=None if rng.random() < 0.5 else int(rng.integers(1, 4)),
                        max_drawdown=None if rng.random() < 0.5 else rng.uniform(0.002, 0.05))
    allow = rng.random((len(prices), len(schedule))) < 0.85 if rng.random() < 0.4 else None
    return dict(prices=prices, opens=opens, schedule=schedule, inst=inst, params=params, costs=costs, limits=limits,
                allow=allow, capital=float(rng.uniform(1e5, 2e6)))


def engine_trades(res, case):
    ids = [f"{w}|{y}~{x}" for w, y, x in zip(case["schedule"].window_id, case["schedule"].y, case["schedule"].x)]
    dates = case["prices"].index
    t = res.trades
    exit_fill = np.where(t["exit_date"].isna(), -1, dates.get_indexer(t["exit_date"].fillna(dates[0])))
    return sorted(zip(pd.Index(ids).get_indexer(t["pair_id"]), t["side"], dates.get_indexer(t["entry_signal_date"]),
                      dates.get_indexer(t["entry_date"]), [int(e) if e >= 0 else None for e in exit_fill],
                      t["exit_reason"], t["units_y"], t["units_x"], t["pnl"]))


@pytest.mark.parametrize("seed", range(14))
def test_engine_matches_reference_simulator(seed):
    case = random_case(seed)
    res = run_backtest(case["prices"], case["schedule"], case["inst"], case["params"], case["costs"], case["limits"],
                       case["capital"], entry_allowed=case["allow"], open_prices=case["opens"])
    ref = ReferenceSimulator(case["prices"], case["schedule"], case["inst"], case["params"], case["costs"],
                             case["limits"], case["capital"], case["allow"],
                             case["opens"] if case["params"].fill == "next_open" else None).run()
    got = engine_trades(res, case)
    want = sorted((d["k"], d["side"], d["entry_signal"], d["entry_fill"], d["exit_fill"], d["reason"], d["units_y"],
                   d["units_x"], d["pnl"]) for d in ref.trades)
    assert [g[:8] for g in got] == [w[:8] for w in want]
    capital = case["capital"]  # money compared in units of initial capital: float64 sums of ~1e6 differ by ulps
    np.testing.assert_allclose(np.array([g[8] for g in got]) / capital, np.array([w[8] for w in want]) / capital,
                               rtol=0, atol=1e-9)
    first = len(case["prices"]) - len(res.equity)
    np.testing.assert_allclose(res.equity.to_numpy() / capital, np.array(ref.equity[first:]) / capital, rtol=0, atol=1e-9)
    dates = case["prices"].index
    got_ref = sorted(zip(dates.get_indexer(res.refusals["date"]), res.refusals["pair_id"].map(
        {f"{w}|{y}~{x}": k for k, (w, y, x) in enumerate(zip(case["schedule"].window_id, case["schedule"].y,
                                                               case["schedule"].x))}), res.refusals["side"], res.refusals["reason"]))
    assert got_ref == sorted((d["t"], d["k"], d["side"], d["reason"]) for d in ref.refusals)
    targets = pd.DataFrame(ref.targets, index=dates).iloc[first:][res.positions.columns]
    np.testing.assert_array_equal(res.positions.to_numpy(), targets.to_numpy())


def test_randomized_cases_exercise_every_rule():
    """The randomized cases above are not vacuous: between them they trade, stop and refuse."""
    reasons, refusals = set(), set()
    for seed in range(14):
        case = random_case(seed)
        res = run_backtest(case["prices"], case["schedule"], case["inst"], case["params"], case["costs"], case["limits"],
                           case["capital"], entry_allowed=case["allow"], open_prices=case["opens"])
        reasons |= set(res.trades["exit_reason"])
        refusals |= set(res.refusals["reason"])
    assert {"signal", "window_end"} <= reasons
    assert len(reasons & {"stop_z", "stop_pnl", "stop_time"}) >= 2
    assert len(refusals) >= 4
