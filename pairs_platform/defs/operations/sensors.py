"""[operations] alert sensors: each reads one source, builds alerts with ``pairs_platform.alerts`` and
sends them through the channels configured in the environment (log only by default), recording every
one in the ledger's ``alerts`` table. Dedupe keys make a repeated incident one alert."""
import datetime as dt

import dagster as dg

from pairs_platform.alerts import (
    AlertManager, SqlAlertRecorder, alert_manager_from_env, asset_check_failed, run_failure, stale_data,
)
from pairs_platform.alerts.triggers import trading_state_alerts
from pairs_platform.defs.operations.checks import FRESHNESS_CHECK, PRICES
from pairs_platform.defs.shared.resources import LedgerResource

RUNNING = dg.DefaultSensorStatus.RUNNING
CHECK_EVENTS_PER_TICK = 200


def alert_manager(ledger: LedgerResource) -> AlertManager:
    """The environment's channels, recording into the ledger's ``alerts`` table (migrated on open)."""
    return alert_manager_from_env(SqlAlertRecorder(ledger.resolved_url()))


@dg.run_failure_sensor(name="alert_on_run_failure", default_status=RUNNING, monitor_all_code_locations=False,
                       description="A failed run of any job raises a CRITICAL alert (one per run).")
def alert_on_run_failure(context: dg.RunFailureSensorContext, ledger: LedgerResource) -> None:
    error = context.failure_event.message or "no message"
    record = alert_manager(ledger).notify(run_failure(context.dagster_run.job_name, context.dagster_run.run_id, error))
    context.log.info(f"run failure alert: {record.status}")


def _check_alert(evaluation):
    meta = {k: v.value for k, v in evaluation.metadata.items()}
    if evaluation.asset_key == PRICES and evaluation.check_name == FRESHNESS_CHECK:
        last = meta.get("last_session", "never")
        return stale_data(None if last == "never" else _date(last), _date(meta["expected_session"]),
                          int(meta.get("sessions_behind", -1)))
    detail = evaluation.description or ", ".join(f"{k}={v}" for k, v in sorted(meta.items())) or "no detail"
    return asset_check_failed(evaluation.asset_key.to_user_string(), evaluation.check_name, detail)


def _date(text: str) -> dt.date:
    return dt.date.fromisoformat(str(text))


@dg.sensor(name="alert_on_failed_asset_checks", default_status=RUNNING, minimum_interval_seconds=60,
           description="A failed asset check raises an alert (a failed prices_fresh check: stale data).")
def alert_on_failed_asset_checks(context: dg.SensorEvaluationContext, ledger: LedgerResource) -> dg.SkipReason:
    cursor = int(context.cursor) if context.cursor else None
    # Dagster 1.13 has no fetch_* method for check evaluations; get_event_records is deprecated for 2.0 only
    records = context.instance.get_event_records(
        dg.EventRecordsFilter(dg.DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=cursor),
        limit=CHECK_EVENTS_PER_TICK if cursor is not None else 1, ascending=cursor is not None)
    if not records:
        return dg.SkipReason("no new asset check evaluation")
    context.update_cursor(str(max(r.storage_id for r in records)))
    if cursor is None:  # first tick: start from now, do not replay old evaluations
        return dg.SkipReason("cursor set at the newest asset check evaluation")
    failed = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    failed = [e for e in failed if not e.passed]
    manager = alert_manager(ledger) if failed else None
    statuses = [manager.notify(_check_alert(e)).status for e in failed]
    return dg.SkipReason(f"{len(records)} evaluation(s), {len(failed)} failed: {statuses}")


@dg.sensor(name="alert_on_trading_state", default_status=RUNNING, minimum_interval_seconds=30,
           description="A move to REDUCING or HALTED (and a drawdown breach) in the ledger raises an alert.")
def alert_on_trading_state(context: dg.SensorEvaluationContext, ledger: LedgerResource) -> dg.SkipReason:
    with ledger.open() as opened:
        history = opened.trading_state_history()
    cursor = int(context.cursor) if context.cursor else None
    alerts, newest = trading_state_alerts(history, cursor)
    if newest is not None and newest != cursor:
        context.update_cursor(str(newest))
    if not alerts:
        return dg.SkipReason("no new REDUCING or HALTED state")
    manager = alert_manager(ledger)
    return dg.SkipReason(f"alerts: {[(a.kind.value, manager.notify(a).status) for a in alerts]}")
