"""Scale benchmark: speed-up of 2 Celery workers over 1, and a 500-instrument 10-year universe per stage.

Run from the repository root (Redis on 127.0.0.1:6379 for the speed-up part)::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_scale.py            # both parts, a few minutes
    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_scale.py --skip-speedup --instruments 200

Part 1 starts a Celery worker with 1 process, times screening chunks (one formation window each) and
grid chunks (parameter sets), stops it, does the same with 2 processes, and prints t(1) / t(2).
Workers run one compute thread each. Part 2 pushes bundled ETF prices plus synthetic planted-pair
instruments (500 in all, 10 years of NYSE sessions) through cleaning, the panel, walk-forward pair
selection, spreads and a backtest, with wall time and peak memory per stage. The machine is shared:
the load average is printed before and after, and figures are only as good as that load allows.
"""
from __future__ import annotations

import argparse
import functools
import os
import resource
import threading
import time
import uuid

import numpy as np
import pandas as pd

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams, run_backtest
from pairs_platform.backtest.optimize import grid_chunks, grid_params
from pairs_platform.data.calendar import trading_days
from pairs_platform.data.cleaning import clean_bars
from pairs_platform.data.prices import continuous_futures, to_wide
from pairs_platform.data.sources.bundled import etf_instruments, load_bundled_wide
from pairs_platform.pairs.schedule import build_pair_schedule, select_formation_pairs, walk_forward_windows
from pairs_platform.pairs.synthetic import planted_pairs_prices
from pairs_platform.parallel import CeleryBackend
from pairs_platform.parallel.workers import start_celery_workers, stop_celery_workers
from pairs_platform.signals.spreads import spread_panel

SPACE = {"entry_z": [1.5, 2.0, 2.5, 3.0], "exit_z": [0.0, 0.25, 0.5, 0.75], "lookback": [20, 40, 60, 90],
         "zscore": ["formation", "rolling"]}
SECTOR_SIZE = 40  # synthetic instruments per sector: the "group" candidates screen within a sector


def load_line(label: str) -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {label}: {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} cores"


def universe(n_instruments: int, years: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Wide closes (sessions x ids) and the instrument table: bundled equities plus synthetic ones."""
    bundled = load_bundled_wide()
    days = trading_days(bundled.index[-1] - pd.DateOffset(years=years), bundled.index[-1])
    real = bundled.reindex(days).dropna(axis=1, how="any").iloc[:, :n_instruments]
    n_syn = n_instruments - real.shape[1]
    walks = (n_syn + 1) // 2
    syn, _ = planted_pairs_prices(n_walks=walks, n_planted=n_syn - walks, n_obs=len(days), seed=seed)
    syn.index = days
    syn.columns = [f"EQ:Z{c.split(':')[1]}" for c in syn.columns]
    wide = pd.concat([real, syn], axis=1)
    template = etf_instruments().iloc[[0]]
    table = pd.concat([template] * wide.shape[1])
    table.index = pd.Index(wide.columns, name="instrument_id")
    table["symbol"] = [c.split(":")[1] for c in wide.columns]
    # walk j and its planted partner j share a sector of SECTOR_SIZE instruments
    table["sector"] = ["bundled"] * real.shape[1] + [f"syn{int(c[5:]) // (SECTOR_SIZE // 2)}" for c in syn.columns]
    return wide, table


def long_bars(wide: pd.DataFrame) -> pd.DataFrame:
    """Raw long bars (what sources deliver) from wide closes."""
    bars = wide.rename_axis(index="date", columns="instrument_id").stack().rename("close").reset_index()
    return bars.assign(open=bars["close"], high=bars["close"], low=bars["close"], volume=1_000.0)


def _rss_mib() -> float:
    """Resident memory of this process now (Linux ``/proc``), else the process maximum so far."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


class Stages:
    """Times each stage and samples its resident memory every 5 ms on a thread (peak RSS in the stage,
    and that peak above the RSS the stage started from). Sampling, unlike tracemalloc, does not slow
    the stage: tracing every allocation made cleaning 5x slower (6 s -> 30 s measured)."""

    def __init__(self):
        self.rows = []

    def run(self, name, func, *args, **kwargs):
        start, peak, done = _rss_mib(), [0.0], threading.Event()

        def sample():
            while not done.wait(0.005):
                peak[0] = max(peak[0], _rss_mib())

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        began = time.perf_counter()
        try:
            value = func(*args, **kwargs)
        finally:
            seconds = time.perf_counter() - began
            done.set()
            sampler.join()
        top = max(peak[0], _rss_mib(), start)
        self.rows.append((name, seconds, top, top - start))
        print(f"  {name:<28} {seconds:8.2f} s   peak RSS {top:8.1f} MiB   (+{top - start:7.1f} MiB over its start)",
              flush=True)
        return value


UNIVERSE_LIMITS = RiskLimits(max_drawdown=0.5)
"""The universe backtest's limits (the warm-up uses the same). On a cold numba cache the first
backtest still compiles paths the tiny warm-up never reaches (measured 18-23 s), so it runs twice."""


def run_universe(n_instruments: int, years: int, candidates: str) -> None:
    wide, instruments = universe(n_instruments, years)
    print(f"universe: {wide.shape[1]} instruments ({(instruments['sector'] == 'bundled').sum()} bundled), "
          f"{len(wide)} sessions {wide.index[0].date()}..{wide.index[-1].date()}, candidates={candidates}")
    raw = long_bars(wide)
    stages = Stages()
    stages.run("compile (warm-up)", _warm_up, wide.iloc[:400, :6], instruments)
    cleaned = stages.run("cleaning", clean_bars, raw, wide.index, instruments).bars
    panel = stages.run("panel", lambda: to_wide(continuous_futures(cleaned, instruments)))
    windows = walk_forward_windows(panel.index, 252, 126)
    select = functools.partial(select_formation_pairs, instruments=instruments, candidates=candidates,
                               group_by="sector", max_pairs=20)
    schedule = stages.run(f"pair selection ({len(windows)} windows)", build_pair_schedule, panel, windows, select)
    stages.run(f"spreads ({len(schedule)} rows)", spread_panel, panel, schedule)
    for label in ("backtest", "backtest, again"):  # the first call compiles what the warm-up did not reach
        result = stages.run(label, run_backtest, panel, schedule, instruments, StrategyParams(),
                            limits=UNIVERSE_LIMITS)
    total = sum(row[1] for row in stages.rows)
    print(f"  {'total':<28} {total:8.2f} s   trades {len(result.trades)}   sharpe {result.summary['sharpe']:.2f} "
          "(SYNTHETIC planted pairs, in-sample: a load test, not a result)")


def _warm_up(prices: pd.DataFrame, instruments: pd.DataFrame) -> None:
    """Compiled kernels loaded (or compiled, on a cold cache) on a tiny input, so stages time work only."""
    windows = walk_forward_windows(prices.index, 252, 126)
    schedule = build_pair_schedule(prices, windows, functools.partial(select_formation_pairs, max_pairs=2))
    run_backtest(prices, schedule, instruments.loc[prices.columns], StrategyParams(), limits=UNIVERSE_LIMITS)


def timed_map(label: str, job, repeats: int = 2) -> float:
    job()  # warm-up: imports and compiled kernels loaded in every worker process
    best = np.inf
    for _ in range(repeats):
        began = time.perf_counter()
        job()
        best = min(best, time.perf_counter() - began)
    print(f"  {label:<44} {best:7.2f} s (best of {repeats})", flush=True)
    return best


def run_speedup(broker: str, n_instruments: int) -> None:
    prices, _ = planted_pairs_prices(n_walks=n_instruments // 2, n_planted=n_instruments // 2, n_obs=252 * 5, seed=3)
    windows = walk_forward_windows(prices.index, 252, 126)
    select = functools.partial(select_formation_pairs, max_pairs=40)
    schedule = build_pair_schedule(prices, windows, select)
    candidates = grid_params(SPACE)
    shared = {"prices": prices, "schedule": schedule, "instruments": None, "costs": CostModel(), "limits": RiskLimits(),
              "capital": 1_000_000.0, "open_prices": None}
    print(f"speed-up workload: screening {len(windows)} windows x {prices.shape[1]} instruments "
          f"({len(windows)} chunks); grid {len(candidates)} parameter sets x {len(schedule)} schedule rows "
          f"({-(-len(candidates) // 16)} chunks of 16)")
    times = {}
    for workers in (1, 2):
        backend = CeleryBackend(broker, broker, f"bench_scale_{os.getpid()}_{uuid.uuid4().hex[:6]}", timeout=1800)
        worker = start_celery_workers(backend, workers)
        try:
            times[("screening", workers)] = timed_map(
                f"screening, {workers} worker(s)",
                lambda: build_pair_schedule(prices, windows, select, backend=backend))
            times[("grid", workers)] = timed_map(
                f"grid chunks, {workers} worker(s)", lambda: grid_chunks(shared, candidates, backend, chunk_size=16))
        finally:
            stop_celery_workers(worker)
    for kind in ("screening", "grid"):
        print(f"SPEED-UP {kind}: 2 workers over 1 = {times[(kind, 1)] / times[(kind, 2)]:.2f}x "
              f"({times[(kind, 1)]:.2f} s -> {times[(kind, 2)]:.2f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--broker", default=os.environ.get("PAIRS_CELERY_BROKER_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--speedup-instruments", type=int, default=300)
    parser.add_argument("--instruments", type=int, default=500)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--candidates", default="group", choices=["group", "all"])
    parser.add_argument("--skip-speedup", action="store_true")
    parser.add_argument("--skip-universe", action="store_true")
    args = parser.parse_args()
    print(load_line("at start"))
    if not args.skip_speedup:
        run_speedup(args.broker, args.speedup_instruments)
        print(load_line("after speed-up"))
    if not args.skip_universe:
        run_universe(args.instruments, args.years, args.candidates)
    print(load_line("at end"))


if __name__ == "__main__":
    main()
