"""`make demo`: materialize the whole graph on the embedded default, paper-trade, print a summary.

Runs are recorded in the Dagster instance of ``$DAGSTER_HOME`` (SQLite), so everything the demo did
is browsable afterwards in ``make ui``. Safe to re-run: partitions are replaced, and paper orders
already in the ledger are never sent again.
"""
import argparse
import hashlib
import os
import time
from pathlib import Path

import dagster as dg
import pandas as pd

from pairs_platform.defs import defs
from pairs_platform.defs.runs import RunRequest, launch_run
from pairs_platform.defs.shared.partitions import trading_day_partitions
from pairs_platform.defs.shared.resources import data_dir
from pairs_platform.execution import Ledger
from pairs_platform.reporting.summary import format_summary, instrument_counts

# Formation is 756 sessions (three years), so the first trades land in January 2018.
DEMO_START, DEMO_END = "2015-01-02", "2022-12-28"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
PAPER_SESSIONS = 63  # one trading window


def _load(instance: dg.DagsterInstance, name: str):
    return defs.load_asset_value(name, instance=instance)


def _metadata(instance: dg.DagsterInstance, asset: str, key: str) -> str:
    event = instance.get_latest_materialization_event(dg.AssetKey(asset))
    return str(event.asset_materialization.metadata[key].value)


def _selection_line(instance: dg.DagsterInstance) -> str:
    tests, expected, per_window = (_metadata(instance, "pair_universe", k) for k in
                                   ("tests_run", "expected_false_discoveries", "expected_false_per_window"))
    return (f"{tests} pair tests (Benjamini-Hochberg FDR within economic groups); expected false pairs "
            f"<= {float(expected):.2f} in total, {float(per_window):.2f} per formation window")


def _launch(instance: dg.DagsterInstance, job_name: str, first: str, last: str, tags=None) -> dg.DagsterRun:
    """Runs the job through the instance, as the code location's run (listed under its job in the UI),
    printing each step as it finishes; stops the demo when the run fails."""
    run = launch_run(instance, defs, RunRequest(job_name, first, last, run_config=QUIET, tags=tags or {}))
    if run.status != dg.DagsterRunStatus.SUCCESS:
        raise SystemExit(f"{job_name} failed (run {run.run_id}); see the log above or the run in `make ui`")
    return run


FINGERPRINT_TAG = "pairs/demo_fingerprint"
PACKAGE = Path(__file__).resolve().parents[1]


def fingerprint(start: str, end: str) -> str:
    """What the main job's result depends on: the range, the package's code and bundled data, every
    ``PAIRS_*`` setting of the environment (sources, strategy, folders) and the MLflow store."""
    digest = hashlib.sha256(f"{start}..{end}".encode())
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".gz", ".csv", ".json") and "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + path.read_bytes())
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("PAIRS_"))
    # the MLflow store as the definitions resolved it (MLflow itself sets MLFLOW_TRACKING_URI while it runs)
    digest.update(repr((settings, defs.resources["mlflow"].tracking_uri)).encode())
    return digest.hexdigest()[:16]


def up_to_date_run(instance: dg.DagsterInstance, start: str, end: str) -> dg.DagsterRun | None:
    """The successful main-job run with this fingerprint whose materializations are still the newest of
    every asset of the job, or None (then the job must run)."""
    runs = instance.get_runs(filters=dg.RunsFilter(
        job_name="pairs_pipeline", statuses=[dg.DagsterRunStatus.SUCCESS],
        tags={FINGERPRINT_TAG: fingerprint(start, end)}), limit=1)
    if not runs:
        return None
    keys = defs.resolve_job_def("pairs_pipeline").asset_layer.executable_asset_keys
    latest = (instance.get_latest_materialization_event(key) for key in keys)
    return runs[0] if all(e is not None and e.run_id == runs[0].run_id for e in latest) else None


def run_pipeline(instance: dg.DagsterInstance, start: str, end: str, force: bool = False) -> float | None:
    """Runs ``pairs_pipeline`` over the sessions (skipped when an up-to-date run exists, unless ``force``);
    returns the wall seconds, or None when it was skipped."""
    began = time.perf_counter()
    done = None if force else up_to_date_run(instance, start, end)
    if done is not None:
        print(f"pairs_pipeline is up to date (run {done.run_id}: same range, code, data and settings); "
              "skipped. `make demo FORCE=1` runs it again.")
        return None
    _launch(instance, "pairs_pipeline", start, end, tags={FINGERPRINT_TAG: fingerprint(start, end)})
    return time.perf_counter() - began


def _paper_run(instance: dg.DagsterInstance, first: str, last: str) -> dict:
    run = _launch(instance, "paper_execution", first, last)
    entries = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    meta = [e.asset_materialization.metadata for e in entries
            if e.asset_materialization.asset_key == dg.AssetKey("paper_executions")][-1]
    return {"sent": int(meta["orders_sent_in_run"].value), "fills": int(meta["fills_in_run"].value)}


def run_paper_sessions(instance: dg.DagsterInstance, sessions: list[str], strategy_id: str) -> dict:
    """Paper-trades the sessions the ledger has not seen yet, in one run (a catch-up backfill; the
    sensor launches one session at a time in production), then the last session again: a retry
    must send nothing."""
    with Ledger(defs.resources["ledger"].resolved_url()) as ledger:
        done = ledger.latest_as_of(strategy_id)
    todo = [s for s in sessions if done is None or pd.Timestamp(s).date() > done]
    first = _paper_run(instance, todo[0], todo[-1]) if todo else {"sent": 0, "fills": 0}
    retry = _paper_run(instance, sessions[-1], sessions[-1])
    return {"sent": first["sent"], "fills": first["fills"] + retry["fills"], "resent": retry["sent"],
            "sessions": len(todo)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default=DEMO_START, help="first session (default %(default)s)")
    parser.add_argument("--end", default=DEMO_END, help="last session (default %(default)s)")
    parser.add_argument("--force", action="store_true", default=bool(os.environ.get("FORCE")),
                        help="run the main job even when it is up to date (env FORCE=1)")
    args = parser.parse_args(argv)
    instance = dg.DagsterInstance.get()
    print(f"Materializing pairs_pipeline for {args.start} .. {args.end} into {os.environ.get('DAGSTER_HOME')}")
    wall = run_pipeline(instance, args.start, args.end, args.force)
    sessions = trading_day_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(args.start, args.end))
    strategy_id = defs.resources["strategy"].strategy_id
    execution = run_paper_sessions(instance, list(sessions[-PAPER_SESSIONS:]), strategy_id)
    instruments, panel, backtest = (_load(instance, n) for n in ("instruments", "price_panel", "backtest_results"))
    print(format_summary(
        instruments_line=instrument_counts(instruments, list(panel.columns)),
        sessions=(sessions[0], sessions[-1], len(sessions)), pairs=_load(instance, "pair_universe"),
        backtest_summary=backtest.summary, headline=_metadata(instance, "backtest_results", "integrity"),
        execution=execution, wall_seconds=wall, filters_effect=_metadata(instance, "backtest_results", "filters_effect"),
        selection=_selection_line(instance),
        paths={"report": _load(instance, "performance_report"), "daily": str(data_dir() / "reports" / "daily"),
               "dagster_home": os.environ.get("DAGSTER_HOME", "(temporary)"),
               "data_dir": str(data_dir())}))


if __name__ == "__main__":
    main()
