"""The production topology end to end: runs through the instance on Celery workers, the schedule
and the sensor, a worker killed mid-run, the daemon and PostgreSQL restarted.

The tests share one stack (conftest) and run in file order; each prints what it measured
(``pytest -s`` shows it).
"""
from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import mlflow
import pandas as pd
import sqlalchemy as sa
from dagster import DagsterEventType, DagsterRunStatus

from pairs_platform.defs.shared.partitions import CALENDAR_TIMEZONE

START, END = "2021-09-01", "2022-12-28"
# The graph's test settings (pairs_platform_tests/defs/conftest.py): windows short enough for the range.
SMALL_STRATEGY = {"resources": {"strategy": {"config": {
    "formation_days": 120, "trading_days": 40, "ml_retrain_days": 60, "ml_min_training_samples": 20,
    "selection": "pvalue", "group_by": "asset_class"}}}}  # the defs tests' settings: short windows need the per-test rule to find pairs
RUN_TIMEOUT = 900
MEASURED: dict = {}  # what earlier tests saw, for the later ones to compare with


def _instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.get()  # DAGSTER_HOME and DAGSTER_PG_* of the stack (conftest)


def _materializations(instance, run_id: str) -> Counter:
    records = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    return Counter(r.dagster_event.asset_key.to_user_string() for r in records)


def _steps(instance, run_id: str, event_type: DagsterEventType) -> set[str]:
    return {r.step_key for r in instance.all_logs(run_id, of_type=event_type)}


def _celery_hosts(instance, run_id: str) -> dict[str, list[str]]:
    """Step key -> the Celery workers that started it, in order (the executor's engine events)."""
    hosts: dict[str, list[str]] = {}
    for record in instance.all_logs(run_id, of_type=DagsterEventType.ENGINE_EVENT):
        metadata = record.dagster_event.engine_event_data.metadata or {}
        if "Celery worker" in metadata and record.step_key:
            hosts.setdefault(record.step_key, []).append(str(metadata["Celery worker"].value))
    return hosts


def _errors(instance, run_id: str) -> str:
    failures = instance.all_logs(run_id, of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE})
    return "\n".join(f"{r.step_key or 'run'}: {r.message}" for r in failures)


def _run_ok(operator, run_id: str) -> float:
    started = time.monotonic()
    status = operator.wait_finished(run_id, RUN_TIMEOUT)
    with _instance() as instance:
        assert status == DagsterRunStatus.SUCCESS, f"run {run_id} {status}:\n{_errors(instance, run_id)}"
    return time.monotonic() - started


def _ledger_rows() -> dict[str, int]:
    engine = sa.create_engine(os.environ["PAIRS_LEDGER_URL"])
    with engine.connect() as conn:
        rows = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in ("orders", "fills")}
    engine.dispose()
    return rows


def test_stack_is_healthy(stack):
    print(f"\nseconds to healthy: {stack.timings}")
    assert all(stack.health_checks()[name]() for name in stack.health_checks())


def _planned(instance, run_id: str) -> Counter:
    """Materializations the run planned when it was created (one per asset partition)."""
    records = instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED)
    return Counter(r.dagster_event.asset_key.to_user_string() for r in records)


def _step_in_flight(instance, run_id: str) -> tuple[str, str] | None:
    """(step key, worker name) of a step a worker has started and not finished, if any."""
    done = _steps(instance, run_id, DagsterEventType.STEP_SUCCESS)
    for step, hosts in _celery_hosts(instance, run_id).items():
        if step not in done:
            return step, hosts[-1].split("@")[0]
    return None


def _kill_a_busy_worker(stack, run_id: str) -> tuple[str, str]:
    """Waits until a worker has been inside the same step of the run for two polls (2 s apart),
    then SIGKILLs that worker's processes; returns (step, worker)."""
    started, seen, victim = time.monotonic(), None, None
    while victim is None and time.monotonic() - started < RUN_TIMEOUT:
        time.sleep(2)
        with _instance() as instance:
            now = _step_in_flight(instance, run_id)
        victim, seen = (now if now is not None and now == seen else None), now
    assert victim, f"no step of run {run_id} was ever in flight on a worker"
    stack.procs.kill(victim[1])
    return victim


def _assert_nothing_lost_or_duplicated(planned: Counter, done: Counter, killed_asset: str) -> int:
    """Every planned asset partition materialized; the store holds each partition once, without
    duplicate rows. Extra materialization events may come only from the killed step's asset (its
    first attempt recorded some partitions before the kill; the redelivered attempt rewrote them).
    Returns how many partitions were materialized twice."""
    assert planned and not planned - done, f"planned but never materialized: {planned - done}"
    assert set(done - planned) <= {killed_asset}, f"re-materialized outside the killed step: {done - planned}"
    store = Path(os.environ["PAIRS_ASSET_STORE"])
    for key, count in planned.items():
        if count > 1:  # partitioned: one file per session
            files = sorted((store / key).glob("*.parquet"))
            assert len(files) == count, f"{key}: {len(files)} files for {count} planned partitions"
    files = sorted((store / killed_asset).glob("*.parquet"))  # none when the killed step is unpartitioned
    if files:
        rows = pd.concat(pd.read_parquet(f) for f in files)
        assert not rows.duplicated().any(), f"{killed_asset}: duplicate rows in the store"
    return (done - planned)[killed_asset]


def test_pipeline_runs_on_the_workers_and_survives_a_killed_worker(stack, operator):
    """pairs_pipeline submitted through the webserver; a worker is killed inside a step. The run
    must recover (the step is redelivered to the other worker) or fail with the error named and a
    rerun succeed; nothing planned is lost and the store holds every partition once."""
    started = time.monotonic()
    run_id = operator.submit_range("pairs_pipeline", START, END, SMALL_STRATEGY)
    step, worker = _kill_a_busy_worker(stack, run_id)
    status = operator.wait_finished(run_id, RUN_TIMEOUT)
    final_run = run_id
    with _instance() as instance:
        if status == DagsterRunStatus.SUCCESS:
            outcome = f"recovered: {step} ran on {_celery_hosts(instance, run_id)[step]}"
        else:
            outcome = f"failed ({status.value}): {_errors(instance, run_id)[:300]}"
            final_run = operator.submit_range("pairs_pipeline", START, END, SMALL_STRATEGY)
    stack.start_worker(worker)
    stack.procs.wait(worker, stack.workers_online, 120)
    _run_ok(operator, final_run)
    with _instance() as instance:
        planned, done = _planned(instance, final_run), _materializations(instance, final_run)
        succeeded, hosts = _steps(instance, final_run, DagsterEventType.STEP_SUCCESS), _celery_hosts(instance, final_run)
    repeated = _assert_nothing_lost_or_duplicated(planned, done, killed_asset=step.replace("__", "/"))
    assert succeeded <= set(hosts), f"steps not run by a Celery worker: {succeeded - set(hosts)}"
    server = mlflow.MlflowClient(os.environ["MLFLOW_TRACKING_URI"])  # no global state left behind
    experiment = server.get_experiment_by_name("pairs_platform")
    tracked = server.search_runs([experiment.experiment_id]) if experiment else []
    assert tracked, "no MLflow run on the tracking server"
    print(f"\npairs_pipeline {START}..{END}: killed {worker} inside {step}: {outcome}; "
          f"{'no rerun needed' if final_run == run_id else 'rerun SUCCESS'}; {len(succeeded)} steps on "
          f"{sorted({h.split('@')[0] for names in hosts.values() for h in names})}; "
          f"{sum(planned.values())} planned partitions all materialized and stored once "
          f"({repeated} re-materialized by the redelivered step); {len(tracked)} MLflow runs; "
          f"{time.monotonic() - started:.0f} s")
    MEASURED["pipeline"] = final_run


def test_schedule_tick_requests_the_session_and_skips_a_holiday(operator):
    at = dt.datetime(2022, 12, 28, 18, 30, tzinfo=ZoneInfo(CALENDAR_TIMEZONE)).timestamp()
    session = operator.schedule_dry_run("daily_after_close", at)
    assert [r["runKey"] for r in session["runRequests"]] == ["daily-2022-12-28"], session
    holiday = dt.datetime(2022, 12, 26, 18, 30, tzinfo=ZoneInfo(CALENDAR_TIMEZONE)).timestamp()
    skipped = operator.schedule_dry_run("daily_after_close", holiday)
    assert not skipped["runRequests"] and "not a trading session" in skipped["skipReason"], skipped


def _paper_sessions() -> tuple[str, str]:
    """From five sessions before the last one holding a position to END (as the defs tests do)."""
    targets = pd.read_parquet(Path(os.environ["PAIRS_ASSET_STORE"]) / "target_positions.parquet")
    active = pd.to_datetime(targets.loc[targets["units"] != 0, "date"])
    assert not active.empty, "the pipeline should hold at least one position"
    return str((active.max() - pd.tseries.offsets.BDay(5)).date()), END


def test_sensor_tick_launches_paper_execution_and_orders_reach_the_ledger(operator):
    # The ledger only moves forward: catch up on the recent sessions first (a ranged run, as a
    # backfill would), then the sensor's run of the newest session is a retry that sends nothing.
    first, last = _paper_sessions()
    _run_ok(operator, operator.submit_range("paper_execution", first, last, {}))
    rows = _ledger_rows()
    assert rows["orders"] > 0, rows
    assert operator.start_sensor("paper_on_new_targets") == "RUNNING"
    started = time.monotonic()
    runs: list = []
    while not runs and time.monotonic() - started < 180:
        time.sleep(2)
        with _instance() as instance:
            runs = [r for r in instance.get_runs(dg.RunsFilter(job_name="paper_execution"))
                    if r.tags.get("dagster/sensor_name") == "paper_on_new_targets"]
    assert runs, "the daemon's sensor tick launched no paper_execution run in 180 s"
    _run_ok(operator, runs[0].run_id)
    sensed = time.monotonic() - started
    assert _ledger_rows() == rows, "the sensor's run of an already traded session must send nothing"
    print(f"\npaper_execution {first}..{last}: SUCCESS; ledger {rows}; sensor -> paper_execution "
          f"{runs[0].tags.get('dagster/partition')}: SUCCESS {sensed:.0f} s after the sensor started, nothing resent")


def _history() -> dict:
    with _instance() as instance:
        runs = {r.run_id: r.status for r in instance.get_runs()}
        events = instance.fetch_materializations(dg.AssetKey("target_positions"), limit=10_000).records
    return {"runs": runs, "target_positions materializations": len(events), "ledger": _ledger_rows()}


def _reconnect_webserver(operator, run_id: str) -> tuple[str, int]:
    """The webserver holds one pooled PostgreSQL connection per storage (runs, event log,
    schedules), without a pre-ping: after a PostgreSQL restart the first query on each stale
    connection fails, then SQLAlchemy reconnects. Reads every storage until all answer; returns
    the run's status and how many reads failed first."""
    error = None
    for failures in range(10):
        try:
            answer = operator.read_every_storage(run_id, "paper_on_new_targets")
            return answer["runOrError"]["status"], failures
        except Exception as exc:  # noqa: BLE001 - the stale-connection errors, counted and reported
            error = exc
            time.sleep(1)
    raise AssertionError(f"the webserver did not reconnect to PostgreSQL after 10 reads: {str(error)[:500]}")


def test_history_survives_daemon_and_postgres_restarts(stack, operator):
    before = _history()
    started = time.monotonic()
    stack.procs.stop("daemon")
    stack.stop_postgres()
    stack.start_postgres()
    stack.start_daemon()
    stack.procs.wait("daemon", stack.daemon_live, 180)
    restarted = time.monotonic() - started
    assert _history() == before
    status, failed_requests = _reconnect_webserver(operator, MEASURED["pipeline"])
    assert status == "SUCCESS"
    # The restarted daemon launches runs again; the last session re-sent sends nothing twice.
    _run_ok(operator, operator.submit_range("paper_execution", END, END, {}))
    assert _history()["ledger"]["orders"] == before["ledger"]["orders"]
    print(f"\ndaemon + PostgreSQL restarted in {restarted:.0f} s; {len(before['runs'])} runs, "
          f"{before['target_positions materializations']} target_positions materializations and "
          f"ledger {before['ledger']} unchanged; webserver reconnected after {failed_requests} failed "
          f"read(s); paper_execution {END} re-run after the restart: SUCCESS, no order sent twice "
          f"(ledger now {_history()['ledger']})")
