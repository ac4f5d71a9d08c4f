"""Alerts: one builder per trigger, three channels (log, email, webhook), dedupe, rate limit, records.

Typical use in a sensor::

    manager = alert_manager_from_env(SqlAlertRecorder(ledger_url))
    manager.notify(run_failure(job_name, run_id, error))
"""
from pairs_platform.alerts.channels import AlertChannel, EmailChannel, LogChannel, SmtpSettings, WebhookChannel
from pairs_platform.alerts.dispatcher import (
    AlertManager, AlertPolicy, alert_manager_from_env, channels_from_env, policy_from_env,
)
from pairs_platform.alerts.model import (
    Alert, AlertKind, Severity, asset_check_failed, drawdown_breach, model_drift, reconciliation_mismatch,
    run_failure, stale_data, trading_state_changed,
)
from pairs_platform.alerts.recorder import AlertRecord, AlertRecorder, InMemoryAlertRecorder, SqlAlertRecorder
from pairs_platform.alerts.triggers import reconciliation_alert, trading_state_alerts

__all__ = [
    "Alert", "AlertChannel", "AlertKind", "AlertManager", "AlertPolicy", "AlertRecord", "AlertRecorder",
    "EmailChannel", "InMemoryAlertRecorder", "LogChannel", "Severity", "SmtpSettings", "SqlAlertRecorder",
    "WebhookChannel", "alert_manager_from_env", "asset_check_failed", "channels_from_env", "drawdown_breach",
    "model_drift", "policy_from_env", "reconciliation_alert", "reconciliation_mismatch", "run_failure", "stale_data",
    "trading_state_alerts", "trading_state_changed",
]
