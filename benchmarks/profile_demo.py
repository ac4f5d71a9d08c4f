"""Where `make demo`'s main job spends its time: Dagster event writing vs the IO manager vs compute.

Run from the repository root (a fresh temporary DAGSTER_HOME and data folder each time)::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/profile_demo.py                 # the demo's range

Profiles ``pairs_platform.defs.demo.run_pipeline`` (the ``pairs_pipeline`` job over the range) with
cProfile, then the last session alone on the same instance (the daily run), and prints the wall time, the
cumulative time inside Dagster's event-log writes (``SqlEventLogStorage.store_event``) with their
count, inside the IO manager (``handle_output``/``load_input``), and the rest.
"""
from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROBES = {"event log writes": ("sql_event_log.py", "store_event"),
          "IO manager writes": ("io_manager.py", "handle_output"),
          "IO manager reads": ("io_manager.py", "load_input")}


def _probe(stats: pstats.Stats, filename: str, function: str) -> tuple[float, int]:
    seconds, calls = 0.0, 0
    for (path, _, name), (_, ncalls, _, cumulative, _) in stats.stats.items():
        if path.endswith(filename) and name == function:
            seconds, calls = seconds + cumulative, calls + ncalls
    return seconds, calls


def profile_run(label: str, start: str, end: str) -> None:
    import dagster as dg

    from pairs_platform.defs.demo import run_pipeline

    instance = dg.DagsterInstance.get()
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.runcall(run_pipeline, instance, start, end)
    wall = time.perf_counter() - began
    stats = pstats.Stats(profiler)
    print(f"{label}: pairs_pipeline {start}..{end}: wall {wall:.1f} s (under cProfile)")
    accounted = 0.0
    for name, (filename, function) in PROBES.items():
        seconds, calls = _probe(stats, filename, function)
        accounted += seconds
        print(f"  {name:<20} {seconds:7.1f} s  {100 * seconds / wall:5.1f} %  ({calls} calls)")
    print(f"  {'everything else':<20} {wall - accounted:7.1f} s  {100 * (wall - accounted) / wall:5.1f} %  "
          "(asset compute, planning, run/step events)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", help="first session (default: the demo's DEMO_START)")
    parser.add_argument("--end", help="last session (default: the demo's DEMO_END)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="profile_demo_"))
    try:
        (work / "home").mkdir()
        shutil.copy(ROOT / "dagster.yaml", work / "home" / "dagster.yaml")
        os.environ.update(DAGSTER_HOME=str(work / "home"), PAIRS_DATA_DIR=str(work / "data"),
                          MLFLOW_DISABLE_TELEMETRY="true")
        from pairs_platform.defs.demo import DEMO_END, DEMO_START  # after the environment is set

        args.start, args.end = args.start or DEMO_START, args.end or DEMO_END
        print(f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())} on {os.cpu_count()} cores")
        profile_run("first run", args.start, args.end)
        profile_run("daily run (one session, same instance)", args.end, args.end)
        print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
