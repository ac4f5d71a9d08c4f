"""Backtest engine throughput: 1,000 pairs x 2,520 trading days x 20 parameter sets, against vectorbt.

Run (from the repo root):
    .venv/bin/python benchmarks/bench_backtest.py

The engine runs with costs (commission with minimum, slippage, borrow), whole-lot rounding, z/P&L/
time stops, cool-down and every exposure limit on (gross, net, per-instrument, per-asset-class, max
open pairs, drawdown breaker). It prints the compile (or on-disk cache load) time apart from the
warm throughput, with 2 threads and with 1.

The reference is vectorbt's ``Portfolio.from_signals`` on a comparable single-leg workload (one
column per pair, the same 20 parameter sets as precomputed entry/exit signals, with fees,
slippage, a stop-loss and whole-share sizing), measured in the same run. vectorbt is a
benchmark-only extra (its licence carries the Commons Clause) and lives in its own virtualenv so it
never enters the runtime one:
    python3 -m venv .venv-bench && .venv-bench/bin/pip install vectorbt
This script starts ``.venv-bench/bin/python`` on itself (``--vectorbt-worker``) for that part and
skips it with a note when that virtualenv is missing (override with BENCH_VECTORBT_PYTHON).
Timings on a shared machine are noisy: compare the ratio printed in one run, not absolute numbers.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_INST, N_PAIRS, FORMATION, TRADING, N_SETS = 240, 1000, 252, 2520, 20
ENTRIES = (1.5, 2.0, 2.5, 3.0)
VARIANTS = ({"zscore": "formation"}, {"zscore": "rolling", "lookback": 40}, {"zscore": "rolling", "lookback": 80},
            {"zscore": "formation", "exit_z": 0.5}, {"zscore": "rolling", "lookback": 60, "sizing": "vol_target"})
ROOT = Path(__file__).resolve().parents[1]


def synthetic_market(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Prices (formation + trading days) of 20 groups of 12 co-moving instruments, and 1,000 pairs."""
    rng = np.random.default_rng(seed)
    n_bars, groups = FORMATION + TRADING, N_INST // 12
    factor = np.cumsum(rng.normal(0, 0.012, (n_bars, groups)), axis=0)
    ou = np.zeros((n_bars, N_INST))
    shocks = rng.normal(0, 0.008, (n_bars, N_INST))
    phi = rng.uniform(0.9, 0.99, N_INST)
    for t in range(1, n_bars):  # data generation, not the benchmarked code
        ou[t] = phi * ou[t - 1] + shocks[t]
    loading = rng.uniform(0.7, 1.3, N_INST)
    logp = np.log(rng.uniform(20, 300, N_INST)) + loading * factor[:, np.arange(N_INST) // 12] + ou
    dates = pd.bdate_range("2012-01-02", periods=n_bars, name="date")
    prices = pd.DataFrame(np.exp(logp), index=dates, columns=[f"EQ:I{i:03d}" for i in range(N_INST)])
    group_pairs = np.array([(g * 12 + a, g * 12 + b) for g in range(groups) for a in range(12) for b in range(a + 1, 12)])
    pairs = group_pairs[rng.choice(len(group_pairs), N_PAIRS, replace=False)]
    return prices, pairs


def formation_schedule(prices: pd.DataFrame, pairs: np.ndarray) -> pd.DataFrame:
    """OLS hedge, spread statistics and AR(1) half-life on the formation days, vectorized over pairs."""
    logp = np.log(prices.to_numpy()[:FORMATION])
    ly, lx = logp[:, pairs[:, 0]], logp[:, pairs[:, 1]]
    beta = ((ly - ly.mean(0)) * (lx - lx.mean(0))).sum(0) / ((lx - lx.mean(0)) ** 2).sum(0)
    alpha = ly.mean(0) - beta * lx.mean(0)
    spread = ly - beta * lx - alpha
    lag, d = spread[:-1] - spread[:-1].mean(0), np.diff(spread, axis=0)
    rho = (lag * d).sum(0) / (lag ** 2).sum(0)
    cols = prices.columns.to_numpy()
    return pd.DataFrame({"window_id": 0, "formation_start": prices.index[0], "formation_end": prices.index[FORMATION - 1],
                         "trade_start": prices.index[FORMATION], "trade_end": prices.index[-1],
                         "y": cols[pairs[:, 0]], "x": cols[pairs[:, 1]], "beta": beta, "alpha": alpha,
                         "spread_mean": spread.mean(0), "spread_std": spread.std(0, ddof=1),
                         "half_life": np.where(rho < 0, -np.log(2) / np.log1p(np.minimum(-1e-9, rho)), np.nan),
                         "pvalue": 0.01})


def instruments(ids) -> pd.DataFrame:
    """Equities (lot 1), futures (multiplier 50) and crypto (lot 0.001): rounding matters for each."""
    n = len(ids)
    kind = np.where(np.arange(n) % 12 == 10, "future", np.where(np.arange(n) % 12 == 11, "crypto", "equity"))
    return pd.DataFrame({"lot_size": np.where(kind == "crypto", 0.001, 1.0),
                         "multiplier": np.where(kind == "future", 50.0, 1.0), "asset_class": kind,
                         "shortable": True, "borrow_fee_bps": 30.0}, index=pd.Index(ids, name="instrument_id"))


def parameter_sets():
    from pairs_platform.backtest import StrategyParams
    return [StrategyParams(entry_z=e, stop_z=e + 2.0, max_holding_days=60, cooldown_days=5, pnl_stop=0.05,
                           pair_capital=0.02, vol_target=0.01, **v) for e in ENTRIES for v in VARIANTS]


def run_engine() -> dict:
    import numba

    from pairs_platform.backtest import CostModel, RiskLimits
    from pairs_platform.backtest.engine import run_grid_arrays
    from pairs_platform.backtest.inputs import prepare_inputs
    prices, pairs = synthetic_market()
    schedule = formation_schedule(prices, pairs)
    limits = RiskLimits(max_gross=3.0, max_net=0.3, max_instrument=0.25, max_class_gross={"crypto": 0.4},
                        max_open_pairs=150, max_drawdown=0.3)
    t0 = time.perf_counter()
    inp = prepare_inputs(prices, schedule, instruments(prices.columns), parameter_sets(), CostModel(), limits)
    prep = time.perf_counter() - t0
    t0 = time.perf_counter()
    stats = run_grid_arrays(inp, 1e6).stats
    first = time.perf_counter() - t0
    out = {"prep_s": prep, "first_call_s": first, "threads": numba.get_num_threads()}
    for threads in (numba.get_num_threads(), 1):
        numba.set_num_threads(threads)
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            run_grid_arrays(inp, 1e6)
            times.append(time.perf_counter() - t0)
        out[f"warm_s_{threads}"] = min(times)
    out["trades"] = int(stats["trade_count"].sum())
    out["refusals"] = int(stats["refusals"].sum())
    out["pair_bars"] = N_PAIRS * TRADING * N_SETS
    return out


def vectorbt_worker() -> None:
    """Runs inside .venv-bench: vectorbt from_signals on one column per pair, 20 signal sets."""
    import vectorbt as vbt
    prices, pairs = synthetic_market()
    schedule = formation_schedule(prices, pairs)
    logp = np.log(prices.to_numpy())
    spread = logp[:, pairs[:, 0]] - schedule["beta"].to_numpy() * logp[:, pairs[:, 1]] - schedule["alpha"].to_numpy()
    z = ((spread - schedule["spread_mean"].to_numpy()) / schedule["spread_std"].to_numpy())[FORMATION:]
    close = pd.DataFrame(100.0 * np.exp(spread[FORMATION:]), index=prices.index[FORMATION:])
    signals = [(z <= -e, z >= -v.get("exit_z", 0.0)) for e in ENTRIES for v in VARIANTS]
    kwargs = dict(fees=0.0005, slippage=0.0005, sl_stop=0.05, size=20_000.0, size_type="value",
                  size_granularity=1.0, init_cash=1e6, freq="1D")
    vbt.Portfolio.from_signals(close, signals[0][0], signals[0][1], **kwargs)  # compile
    elapsed, trades = 0.0, 0
    for entries, exits in signals:
        t0 = time.perf_counter()
        pf = vbt.Portfolio.from_signals(close, entries, exits, **kwargs)
        elapsed += time.perf_counter() - t0
        trades += int(pf.orders.count().sum())
    print(json.dumps({"bars": close.size * len(signals), "seconds": elapsed, "orders": trades, "version": vbt.__version__}))


def run_vectorbt() -> dict | None:
    python = os.environ.get("BENCH_VECTORBT_PYTHON", str(ROOT / ".venv-bench" / "bin" / "python"))
    if not Path(python).exists():
        return None
    done = subprocess.run([python, __file__, "--vectorbt-worker"], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    sys.path.insert(0, str(ROOT))
    e = run_engine()
    rate = e["pair_bars"] / e["warm_s_" + str(e["threads"])]
    rate_1 = e["pair_bars"] / e["warm_s_1"]
    print(f"workload: {N_PAIRS} pairs x {TRADING} trading days x {N_SETS} parameter sets = {e['pair_bars'] / 1e6:.1f}M "
          f"pair-bars; costs, lot rounding, stops and all exposure limits on ({e['trades']} trades, "
          f"{e['refusals']} refused entries)")
    print(f"engine: input preparation {e['prep_s']:.2f} s; first call {e['first_call_s']:.2f} s (compile or cache load)")
    print(f"engine warm ({e['threads']} threads): {e['warm_s_' + str(e['threads'])]:.3f} s -> {rate / 1e6:.1f}M pair-bars/s")
    print(f"engine warm (1 thread):  {e['warm_s_1']:.3f} s -> {rate_1 / 1e6:.1f}M pair-bars/s")
    v = run_vectorbt()
    if v is None:
        print("vectorbt: skipped (no .venv-bench; see the module docstring to create it)")
        return
    vrate = v["bars"] / v["seconds"]
    print(f"vectorbt {v['version']} Portfolio.from_signals (1 thread, single leg, {v['bars'] / 1e6:.1f}M bars): "
          f"{v['seconds']:.2f} s -> {vrate / 1e6:.1f}M bars/s")
    print(f"ratio engine/vectorbt: {rate / vrate:.1f}x ({e['threads']} threads), {rate_1 / vrate:.1f}x (1 thread each)")


if __name__ == "__main__":
    if "--vectorbt-worker" in sys.argv:
        vectorbt_worker()
    else:
        main()
