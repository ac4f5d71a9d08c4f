"""Wall time of the ``pair_universe`` asset with each ``ParallelResource`` setting (same result checked).

Run from the repository root (Redis on 127.0.0.1:6379 for the Celery row, else it is skipped)::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_parallel_assets.py --walks 60 --planted 20

Materializes ``pair_universe`` through Dagster (upstream assets stubbed with a planted-pairs market,
one sector per 10 instruments) with ``ParallelResource()`` (single process), a local pool of 2
processes (started inside the step: its spawn and import cost is in the time) and, when Redis
answers, 2 Celery chunk-worker processes started beforehand. Prints the wall time of each, the
speed-up over the single process and whether schedule and funnel metadata are identical. Then, in
the core without Dagster, the first and the second map of one 2-process pool (the cost of starting
it). Dagster is imported inside functions only: spawned pool processes re-import this main module.
The machine is shared: the load average is printed, and figures are only as good as that load allows.
"""
from __future__ import annotations

import argparse
import functools
import os
import socket
import time
import uuid

import pandas as pd

from pairs_platform.pairs.schedule import build_pair_schedule, select_formation_pairs, walk_forward_windows
from pairs_platform.pairs.synthetic import planted_pairs_prices
from pairs_platform.parallel import BROKER_ENV, QUEUE_ENV, RESULT_BACKEND_ENV, CeleryBackend, LocalBackend
from pairs_platform.parallel.workers import start_celery_workers, stop_celery_workers

REDIS = "redis://127.0.0.1:6379/0"
VARYING = {"screening_seconds", "screened_on"}


def market(walks: int, planted: int, sessions: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(price panel, instrument table): planted pairs share a sector, 10 instruments per sector."""
    prices, _ = planted_pairs_prices(n_walks=walks, n_planted=planted, n_obs=sessions, seed=7)
    sector = {c: f"S{int(c[-3:]) // 10}" for c in prices.columns}
    table = pd.DataFrame({"asset_class": "equity", "sector": [sector[c] for c in prices.columns]},
                         index=pd.Index(prices.columns, name="instrument_id"))
    return prices, table


def materialize(parallel, prices: pd.DataFrame, table: pd.DataFrame) -> tuple[float, pd.DataFrame, dict]:
    """(wall seconds, schedule, metadata) of one materialization of pair_universe on ``parallel``."""
    import dagster as dg

    from pairs_platform.defs.research.assets import pair_universe
    from pairs_platform.defs.shared.strategy import StrategyResource

    stubs = [dg.asset(name="price_panel")(lambda: prices), dg.asset(name="instruments")(lambda: table)]
    strategy = StrategyResource(formation_days=252, trading_days=126, group_by="sector")
    began = time.perf_counter()
    result = dg.materialize_to_memory([pair_universe, *stubs], resources={"strategy": strategy, "parallel": parallel})
    wall = time.perf_counter() - began
    metadata = result.asset_materializations_for_node("pair_universe")[0].metadata
    return wall, result.output_for_node("pair_universe"), {k: v for k, v in metadata.items() if k not in VARYING}


def same_result(fanned: pd.DataFrame, meta: dict, schedule: pd.DataFrame, metadata: dict) -> str:
    """"True", or what differs: schedule columns (rows differing) and metadata keys."""
    if fanned.shape != schedule.shape:
        return f"False (schedule shape {fanned.shape} vs {schedule.shape})"
    columns = [f"{c}({int((fanned[c] != schedule[c]).sum())})" for c in schedule.columns
               if not fanned[c].equals(schedule[c])]
    keys = sorted(k for k in metadata if meta.get(k) != metadata[k])
    return "True" if not columns and not keys else f"False (columns {columns}, metadata {keys})"


def redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return True
    except OSError:
        return False


def pool_start_cost(prices: pd.DataFrame, table: pd.DataFrame) -> None:
    """Core only: the same screening on one 2-process pool twice (first map starts the processes)."""
    windows = walk_forward_windows(prices.index, 252, 126)
    select = functools.partial(select_formation_pairs, instruments=table, candidates="group", group_by="sector")
    began = time.perf_counter()
    single = build_pair_schedule(prices, windows, select)
    times = [time.perf_counter() - began]
    backend = LocalBackend(2)
    try:
        for _ in range(2):
            began = time.perf_counter()
            same = build_pair_schedule(prices, windows, select, backend=backend).equals(single)
            times.append(time.perf_counter() - began)
            print(f"  core, pool map {len(times) - 1}: {times[-1]:6.2f} s (single process {times[0]:.2f} s) "
                  f"identical: {same}")
    finally:
        backend.close()


def main() -> None:
    from pairs_platform.defs.shared.resources import ParallelResource

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--walks", type=int, default=60)
    parser.add_argument("--planted", type=int, default=20)
    parser.add_argument("--sessions", type=int, default=1512)
    args = parser.parse_args()
    prices, table = market(args.walks, args.planted, args.sessions)
    print(f"load average {os.getloadavg()[0]:.1f}; {prices.shape[1]} instruments x {len(prices)} sessions")
    materialize(ParallelResource(), prices, table)  # warm-up: compiled kernels cached, imports done
    base_wall, schedule, metadata = materialize(ParallelResource(), prices, table)
    rows = [("single process", base_wall, schedule, metadata)]
    rows.append(("local pool, 2 processes", *materialize(ParallelResource(processes=2), prices, table)))
    if redis_up():
        backend = CeleryBackend(REDIS, REDIS, f"bench_assets_{uuid.uuid4().hex[:6]}")
        worker = start_celery_workers(backend, 2)
        try:
            os.environ.update({BROKER_ENV: REDIS, RESULT_BACKEND_ENV: REDIS, QUEUE_ENV: backend.queue})
            materialize(ParallelResource(backend="celery"), prices, table)  # warm the workers
            rows.append(("celery, 2 worker processes", *materialize(ParallelResource(backend="celery"), prices, table)))
        finally:
            stop_celery_workers(worker)
    print(f"pair_universe: {metadata['windows'].value} windows, {len(schedule)} pairs, "
          f"{metadata['tests_run'].value} tests")
    for name, wall, fanned, meta in rows:
        same = same_result(fanned, meta, schedule, metadata)
        print(f"  {name:28s} {wall:6.2f} s  speed-up {base_wall / wall:4.2f}x  identical: {same}")
    pool_start_cost(prices, table)
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
