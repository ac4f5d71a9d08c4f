"""Partitioned store throughput: a 5-year daily table (1,257 sessions x 40 instruments), written
as one Parquet file per partition and read back, by the store and through the Dagster IO manager.

Run (from the repo root):
    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_store.py [--old-ref <git commit>]

With ``--old-ref`` the IO manager of that commit (the pickle-era one) is loaded from git and timed
the same way, as the "before" figure. Each figure is the best of ``--repeat`` runs (shared machine).
"""
from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd

from pairs_platform.store import AssetStore

START, SESSIONS, INSTRUMENTS = "2020-01-01", 1257, 40


def frame() -> pd.DataFrame:
    days = pd.bdate_range(START, periods=SESSIONS, name="session")
    rng = np.random.default_rng(0)
    n = SESSIONS * INSTRUMENTS
    return pd.DataFrame({"session": np.repeat(days, INSTRUMENTS),
                         "instrument_id": np.tile([f"EQ:S{i:02d}" for i in range(INSTRUMENTS)], SESSIONS),
                         "open": rng.uniform(10, 100, n), "high": rng.uniform(10, 100, n),
                         "low": rng.uniform(10, 100, n), "close": rng.uniform(10, 100, n),
                         "volume": rng.integers(1_000, 1_000_000, n)})


class Timing(tuple):
    """(wall, cpu) seconds of the fastest run; the machine is shared, so CPU time is shown too."""

    def __str__(self) -> str:
        return f"{self[0]:.2f} s wall ({self[1]:.2f} s CPU)"


def best(fn, repeat: int) -> Timing:
    times = []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        times.append((time.perf_counter() - wall, time.process_time() - cpu))
    return Timing(min(times))


def bench_store(table: pd.DataFrame, keys: list[str], repeat: int) -> tuple[Timing, Timing]:
    with tempfile.TemporaryDirectory() as tmp:
        store = AssetStore(tmp)
        write = best(lambda: store.save_partitions(["bars"], table, keys), repeat)
        read = best(lambda: store.load_partitions(["bars"], keys), repeat)
        assert len(store.load_partitions(["bars"], keys)) == len(table)
    return write, read


def bench_old_store(table: pd.DataFrame, keys: list[str], manager_cls, repeat: int) -> tuple[Timing, Timing]:
    """The old IO manager's own partition writer and reader, called without Dagster."""
    from types import SimpleNamespace

    from upath import UPath

    context = SimpleNamespace(asset_partition_keys=keys, asset_key=dg.AssetKey("bars"),
                              add_output_metadata=lambda metadata: None)
    with tempfile.TemporaryDirectory() as tmp:
        root = UPath(tmp) / "bars"
        write = best(lambda: manager_cls._write_partitions(None, context, root, table), repeat)
        read = best(lambda: manager_cls._read_partitions(root, keys), repeat)
    return write, read


def load_io_manager(ref: str | None):
    if ref is None:
        from pairs_platform.defs.io_manager import PartitionedParquetIOManager
        return PartitionedParquetIOManager
    source = subprocess.run(["git", "show", f"{ref}:pairs_platform/defs/io_manager.py"], check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "old_io_manager.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_io_manager", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.PartitionedParquetIOManager


def bench_dagster(table: pd.DataFrame, keys: list[str], manager_cls, repeat: int) -> Timing:
    """One single-run backfill of all partitions writing the table, plus a downstream read of it."""
    parts = dg.TimeWindowPartitionsDefinition(cron_schedule="0 0 * * 1-5", start=keys[0], fmt="%Y-%m-%d",
                                              end=(pd.Timestamp(keys[-1]) + pd.Timedelta(days=1)).strftime("%Y-%m-%d"))

    @dg.asset(partitions_def=parts, backfill_policy=dg.BackfillPolicy.single_run())
    def bars(context) -> pd.DataFrame:
        return table

    @dg.asset(partitions_def=parts, backfill_policy=dg.BackfillPolicy.single_run())
    def downstream(context, bars: pd.DataFrame) -> None:
        assert len(bars) == len(table)

    def run():
        with tempfile.TemporaryDirectory() as tmp, dg.instance_for_test() as instance:
            defs = dg.Definitions(assets=[bars, downstream], jobs=[dg.define_asset_job("j")],
                                  resources={"io_manager": manager_cls(base_dir=tmp)})
            result = defs.resolve_job_def("j").execute_in_process(
                instance=instance, tags={"dagster/asset_partition_range_start": keys[0],
                                         "dagster/asset_partition_range_end": keys[-1]})
            assert result.success

    return best(run, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-ref", default=None, help="git commit whose IO manager is the baseline")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    table = frame()
    keys = [d.strftime("%Y-%m-%d") for d in table["session"].drop_duplicates()]
    write, read = bench_store(table, keys, args.repeat)
    print(f"store: {len(keys)} partitions x {INSTRUMENTS} instruments: write {write}, read {read}")
    new = bench_dagster(table, keys, load_io_manager(None), args.repeat)
    print(f"dagster run (write + downstream read), this tree: {new}")
    if args.old_ref:
        write, read = bench_old_store(table, keys, load_io_manager(args.old_ref), args.repeat)
        print(f"{args.old_ref} IO manager's partition code: write {write}, read {read}")
        old = bench_dagster(table, keys, load_io_manager(args.old_ref), args.repeat)
        print(f"dagster run (write + downstream read), {args.old_ref}: {old}")


if __name__ == "__main__":
    sys.exit(main())
