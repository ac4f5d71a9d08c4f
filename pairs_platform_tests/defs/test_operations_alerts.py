"""The alert sensors of defs/operations on an ephemeral Dagster instance and a real SQLite ledger: each
trigger raises its alert once, a repeat is recorded as a duplicate, and nothing fires without a cause."""
from __future__ import annotations

import datetime as dt

import dagster as dg
import pytest

from pairs_platform.alerts import SqlAlertRecorder
from pairs_platform.defs.operations import checks
from pairs_platform.defs.operations.sensors import (
    alert_on_failed_asset_checks, alert_on_run_failure, alert_on_trading_state,
)
from pairs_platform.defs.shared.resources import LedgerResource
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.risk_engine import BREAKER

DUPLICATE = "suppressed: duplicate"


@pytest.fixture
def ledger_resource(tmp_path, monkeypatch):
    for name in ("PAIRS_ALERT_SMTP_HOST", "PAIRS_ALERT_WEBHOOK_URL"):  # log channel only
        monkeypatch.delenv(name, raising=False)
    return LedgerResource(url=f"sqlite:///{tmp_path / 'ledger.db'}")


def recorded(resource: LedgerResource) -> list[tuple[str, str]]:
    """(kind, status) of the recorded alerts, oldest first."""
    with resource.open() as ledger:
        return [(r.kind, r.status) for r in reversed(SqlAlertRecorder(ledger.engine).recent(100))]


def _tick(sensor, instance, resource, cursor=None):
    context = dg.build_sensor_context(instance=instance, cursor=cursor, resources={"ledger": resource})
    result = sensor(context)
    return context.cursor, result


def test_trading_state_sensor_alerts_reducing_halted_and_drawdown_once(ledger_resource):
    instance = dg.DagsterInstance.ephemeral()
    with ledger_resource.open() as ledger:
        ledger.set_trading_state("halted", "ops", "old incident")  # before the sensor existed
        cursor, _ = _tick(alert_on_trading_state, instance, ledger_resource)
        assert recorded(ledger_resource) == [("trading_state", "sent")]  # the current restrictive state
        cursor, result = _tick(alert_on_trading_state, instance, ledger_resource, cursor)
        assert recorded(ledger_resource) == [("trading_state", "sent")] and "no new" in result.skip_message
        ledger.set_trading_state("active", "ops", "resolved")
        cursor, _ = _tick(alert_on_trading_state, instance, ledger_resource, cursor)
        assert len(recorded(ledger_resource)) == 1  # ACTIVE does not page
        ledger.set_trading_state("reducing", BREAKER, "equity 940,000.00 is 6.0% below its peak 1,000,000.00 "
                                 "(limit 5%): only exposure-reducing orders", "pairs_v1")
        cursor, _ = _tick(alert_on_trading_state, instance, ledger_resource, cursor)
        assert recorded(ledger_resource)[1:] == [("trading_state", "sent"), ("drawdown_breach", "sent")]
        with ledger_resource.open() as again:
            breach = SqlAlertRecorder(again.engine).recent(1)[0]
        assert "6.00% below its peak" in breach.body and breach.dedupe_key == "drawdown:pairs_v1:0.0500"
        # the same incident again within the dedupe window: recorded, not sent
        ledger.set_trading_state("active", BREAKER, "recovered", "pairs_v1")
        ledger.set_trading_state("reducing", BREAKER, "equity 940,000.00 is 6.0% below its peak 1,000,000.00 "
                                 "(limit 5%): only exposure-reducing orders", "pairs_v1")
        _tick(alert_on_trading_state, instance, ledger_resource, cursor)
    assert recorded(ledger_resource)[3:] == [("trading_state", DUPLICATE), ("drawdown_breach", DUPLICATE)]


def _evaluate(instance, check_name: str, passed: bool, metadata: dict) -> None:
    instance.report_runless_asset_event(dg.AssetCheckEvaluation(
        asset_key=checks.PRICES, check_name=check_name, passed=passed, metadata=metadata))


def test_failed_asset_check_sensor_alerts_once_and_maps_freshness_to_stale_data(ledger_resource):
    instance = dg.DagsterInstance.ephemeral()
    _evaluate(instance, "no_duplicate_bars", False, {"duplicates": 3})  # before the sensor's first tick
    cursor, result = _tick(alert_on_failed_asset_checks, instance, ledger_resource)
    assert cursor is not None and recorded(ledger_resource) == []  # history is not replayed
    _evaluate(instance, "positive_finite_closes", True, {"bad_rows": 0})
    _evaluate(instance, "no_duplicate_bars", False, {"duplicates": 2})
    stale = {"last_session": "2026-11-20", "expected_session": "2026-11-25", "sessions_behind": 3}
    _evaluate(instance, checks.FRESHNESS_CHECK, False, stale)
    cursor, _ = _tick(alert_on_failed_asset_checks, instance, ledger_resource, cursor)
    assert recorded(ledger_resource) == [("asset_check_failed", "sent"), ("stale_data", "sent")]
    with ledger_resource.open() as ledger:
        body = SqlAlertRecorder(ledger.engine).recent(1)[0].body
    assert "2026-11-20" in body and "expected 2026-11-25 (3 session(s) behind)" in body
    cursor, _ = _tick(alert_on_failed_asset_checks, instance, ledger_resource, cursor)
    assert len(recorded(ledger_resource)) == 2  # nothing new, nothing sent
    _evaluate(instance, checks.FRESHNESS_CHECK, False, stale)  # the next run of the check, still stale
    _tick(alert_on_failed_asset_checks, instance, ledger_resource, cursor)
    assert recorded(ledger_resource)[-1] == ("stale_data", DUPLICATE)


def test_run_failure_sensor_alerts_once_per_run(ledger_resource):
    @dg.op
    def explode():
        raise RuntimeError("broker unreachable")

    @dg.job
    def doomed():
        explode()

    instance = dg.DagsterInstance.ephemeral()
    result = doomed.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    run = instance.get_run_by_id(result.run_id)
    failure = instance.get_records_for_run(result.run_id, of_type=dg.DagsterEventType.RUN_FAILURE).records
    event = failure[0].event_log_entry.dagster_event
    for _ in range(2):
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_run_failure", dagster_event=event, dagster_instance=instance, dagster_run=run,
            resources={"ledger": ledger_resource}).for_run_failure()
        alert_on_run_failure(context)
    assert recorded(ledger_resource) == [("run_failure", "sent"), ("run_failure", DUPLICATE)]
    with ledger_resource.open() as ledger:
        sent = SqlAlertRecorder(ledger.engine).recent(2)[1]
    assert sent.title == "Run of doomed failed" and result.run_id in sent.body and sent.severity == "critical"


@pytest.mark.parametrize("now, passed, behind", [
    (dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC), True, 0),   # Thanksgiving morning: 11-25 expected
    (dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC), False, 4),     # Wed 12-02 20:00 New York: 12-02 expected
])
def test_prices_fresh_check_compares_the_last_session_with_the_calendar(monkeypatch, now, passed, behind):
    instance = dg.DagsterInstance.ephemeral()
    for month, last in (("2026-10", "2026-10-30"), ("2026-11", "2026-11-25")):  # months record their last session
        instance.report_runless_asset_event(dg.AssetMaterialization(checks.PRICES, partition=month,
                                                                    metadata={"last_date": last}))
    monkeypatch.setattr(checks, "utcnow", lambda: now)
    result = checks.prices_fresh(dg.build_asset_check_context(instance=instance))
    assert result.passed is passed and result.metadata["sessions_behind"].value == behind
    assert result.metadata["last_session"].value == "2026-11-25"


def test_prices_fresh_fails_when_nothing_was_materialized(monkeypatch):
    monkeypatch.setattr(checks, "utcnow", lambda: dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC))
    result = checks.prices_fresh(dg.build_asset_check_context(instance=dg.DagsterInstance.ephemeral()))
    assert not result.passed and result.metadata["last_session"].value == "never"


def test_ledger_opened_by_the_sensors_holds_the_alerts_table(ledger_resource):
    with ledger_resource.open() as ledger:
        assert isinstance(ledger, Ledger) and ledger.schema_version() >= 3
