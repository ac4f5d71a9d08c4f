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
from zoneinfo import ZoneInfo

import dagster as dg
import mlflow
import sqlalchemy as sa
from dagster import DagsterEventType, DagsterRunStatus

from pairs_platform.defs.partitions import CALENDAR_TIMEZONE
from pairs_platform_tests.deploy.stack import WORKERS

START, END = "2021-09-01", "2022-12-28"
# The graph's test settings (pairs_platform_tests/defs/conftest.py): windows short enough for the range.
SMALL_STRATEGY = {"resources": {"strategy": {"config": {
    "formation_days": 120, "trading_days": 40, "ml_retrain_days": 60, "ml_min_training_samples": 20}}}}
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


def test_pipeline_runs_through_the_instance_on_the_workers(stack, operator):
    run_id = operator.submit_range("pairs_pipeline", START, END, SMALL_STRATEGY)
    seconds = _run_ok(operator, run_id)
    with _instance() as instance:
        succeeded = _steps(instance, run_id, DagsterEventType.STEP_SUCCESS)
        hosts = _celery_hosts(instance, run_id)
        counts = _materializations(instance, run_id)
        assert instance.get_run_by_id(run_id).tags.get("dagster/backfill") is None  # a plain queued run
    assert succeeded and succeeded <= set(hosts), f"steps not run by a Celery worker: {succeeded - set(hosts)}"
    assert counts["target_positions"] > 0, counts
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    tracked = mlflow.search_runs(experiment_names=["pairs_platform"], output_format="list")
    assert tracked, "no MLflow run on the tracking server"
    workers = sorted({h.split("@")[0] for names in hosts.values() for h in names})
    print(f"\npairs_pipeline {START}..{END}: SUCCESS in {seconds:.0f} s, {len(succeeded)} steps on "
          f"{workers}, {sum(counts.values())} materializations, {len(tracked)} MLflow runs")
    MEASURED["pipeline"] = (run_id, counts)


def test_schedule_tick_requests_the_session_and_skips_a_holiday(operator):
    at = dt.datetime(2022, 12, 28, 18, 30, tzinfo=ZoneInfo(CALENDAR_TIMEZONE)).timestamp()
    session = operator.schedule_dry_run("daily_after_close", at)
    assert [r["runKey"] for r in session["runRequests"]] == ["daily-2022-12-28"], session
    holiday = dt.datetime(2022, 12, 26, 18, 30, tzinfo=ZoneInfo(CALENDAR_TIMEZONE)).timestamp()
    skipped = operator.schedule_dry_run("daily_after_close", holiday)
    assert not skipped["runRequests"] and "not a trading session" in skipped["skipReason"], skipped


def test_sensor_tick_launches_paper_orders_into_the_ledger(operator):
    assert operator.start_sensor("paper_on_new_targets") == "RUNNING"
    started = time.monotonic()
    runs: list = []
    while not runs and time.monotonic() - started < 180:
        time.sleep(2)
        with _instance() as instance:
            runs = instance.get_runs(dg.RunsFilter(job_name="paper_execution"))
    assert runs, "the daemon's sensor tick launched no paper_execution run in 180 s"
    seconds = _run_ok(operator, runs[0].run_id)
    rows = _ledger_rows()
    assert rows["orders"] > 0, rows
    print(f"\nsensor -> paper_execution {runs[0].tags.get('dagster/partition')}: SUCCESS "
          f"{time.monotonic() - started:.0f} s after the sensor started ({seconds:.0f} s to run); ledger {rows}")
    MEASURED["ledger"] = rows


def _step_in_flight(instance, run_id: str) -> tuple[str, str] | None:
    """(step key, worker name) of a step a worker has started and not finished, if any."""
    done = _steps(instance, run_id, DagsterEventType.STEP_SUCCESS)
    for step, hosts in _celery_hosts(instance, run_id).items():
        if step not in done:
            return step, hosts[-1].split("@")[0]
    return None


def test_worker_killed_mid_run_loses_and_duplicates_nothing(stack, operator):
    run_id = operator.submit_range("pairs_pipeline", START, END, SMALL_STRATEGY)
    started, victim = time.monotonic(), None
    while victim is None and time.monotonic() - started < RUN_TIMEOUT:
        with _instance() as instance:
            victim = _step_in_flight(instance, run_id)
        time.sleep(0.5)
    assert victim, "no step was ever in flight on a worker"
    step, worker = victim
    stack.procs.kill(worker)
    status = operator.wait_finished(run_id, RUN_TIMEOUT)
    with _instance() as instance:
        if status == DagsterRunStatus.SUCCESS:
            outcome, final_run = f"recovered: {step} re-ran on {_celery_hosts(instance, run_id)[step]}", run_id
        else:
            outcome = f"failed ({status}), error: {_errors(instance, run_id)[:300]}"
            final_run = operator.submit_range("pairs_pipeline", START, END, SMALL_STRATEGY)
    if final_run != run_id:
        _run_ok(operator, final_run)
    stack.start_worker(worker)
    stack.procs.wait(worker, stack.workers_online, 120)
    with _instance() as instance:
        counts = _materializations(instance, final_run)
    assert counts == MEASURED["pipeline"][1], "materializations differ from the undisturbed run"
    print(f"\nkilled {worker} during {step}: {outcome}; rerun {final_run == run_id and 'not needed' or 'SUCCESS'}; "
          f"{sum(counts.values())} materializations, the same as the undisturbed run")


def _history() -> dict:
    with _instance() as instance:
        runs = {r.run_id: r.status for r in instance.get_runs()}
        events = instance.fetch_materializations(dg.AssetKey("target_positions"), limit=10_000).records
    return {"runs": runs, "target_positions materializations": len(events), "ledger": _ledger_rows()}


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
    first_run = MEASURED["pipeline"][0]
    assert operator.client.get_run_status(first_run) == DagsterRunStatus.SUCCESS  # the webserver reconnected
    print(f"\ndaemon + PostgreSQL restarted in {restarted:.0f} s; {len(before['runs'])} runs, "
          f"{before['target_positions materializations']} target_positions materializations and "
          f"ledger {before['ledger']} unchanged")
