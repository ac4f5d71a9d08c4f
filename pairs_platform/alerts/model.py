"""Alerts as values, and one builder per trigger the Dagster sensors wire (so sensors stay thin).

Each builder returns an :class:`Alert` with a title, a severity, a body and a *dedupe key*: two
alerts with the same key within the dispatcher's window are one incident, sent once.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Mapping


class Severity(StrEnum):
    """How urgent an alert is."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


class AlertKind(StrEnum):
    """The triggers that raise alerts."""

    RUN_FAILURE = "run_failure"
    ASSET_CHECK_FAILED = "asset_check_failed"
    STALE_DATA = "stale_data"
    TRADING_STATE = "trading_state"
    RECONCILIATION = "reconciliation_mismatch"
    DRAWDOWN = "drawdown_breach"
    MODEL_DRIFT = "model_drift"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class Alert:
    """One alert: what happened (title, body), how urgent, and its dedupe key."""

    kind: AlertKind
    title: str
    severity: Severity
    body: str
    dedupe_key: str
    created_at: dt.datetime = field(default_factory=_utcnow)

    def __post_init__(self) -> None:
        if not self.title.strip() or not self.dedupe_key.strip():
            raise ValueError(f"alert of kind {self.kind!r} needs a non-empty title and dedupe_key")
        object.__setattr__(self, "kind", AlertKind(self.kind))
        object.__setattr__(self, "severity", Severity(self.severity))

    def as_dict(self) -> dict:
        """JSON-ready fields (the webhook payload)."""
        return {"kind": self.kind.value, "title": self.title, "severity": self.severity.value,
                "body": self.body, "dedupe_key": self.dedupe_key, "created_at": self.created_at.isoformat()}


def run_failure(job_name: str, run_id: str, error: str) -> Alert:
    """A Dagster run failed (one alert per run)."""
    return Alert(AlertKind.RUN_FAILURE, f"Run of {job_name} failed", Severity.CRITICAL,
                 f"Run {run_id} of job {job_name} failed: {error}", f"run_failure:{run_id}")


def asset_check_failed(asset_key: str, check_name: str, description: str) -> Alert:
    """An asset check failed (one incident per asset and check until the window passes)."""
    return Alert(AlertKind.ASSET_CHECK_FAILED, f"Check {check_name} failed on {asset_key}", Severity.WARNING,
                 f"Asset check {check_name} of {asset_key} failed: {description}",
                 f"asset_check:{asset_key}:{check_name}")


def stale_data(last_session: dt.date | None, expected_session: dt.date, sessions_behind: int) -> Alert:
    """Cleaned prices lag the expected session."""
    last = "never" if last_session is None else last_session.isoformat()
    return Alert(AlertKind.STALE_DATA, f"Prices stale: last session {last}", Severity.WARNING,
                 f"The last cleaned-price session is {last}; expected {expected_session.isoformat()} "
                 f"({sessions_behind} session(s) behind). Check the daily pipeline.",
                 f"stale_data:{expected_session.isoformat()}")


_STATE_SEVERITY = {"ACTIVE": Severity.INFO, "REDUCING": Severity.WARNING, "HALTED": Severity.CRITICAL}


def trading_state_changed(state: str, reason: str, actor: str, scope: str = "global") -> Alert:
    """Trading state of ``scope`` (``global`` or a strategy id) changed (REDUCING and HALTED page).

    The desk's kill/resume and the trading-state sensor build the same key for the same change, so a
    change made on the desk is sent once."""
    state = state.upper()
    if state not in _STATE_SEVERITY:
        raise ValueError(f"trading state {state!r} is not one of {sorted(_STATE_SEVERITY)}")
    where = "" if scope == "global" else f" for {scope}"
    return Alert(AlertKind.TRADING_STATE, f"Trading state{where} is now {state}", _STATE_SEVERITY[state],
                 f"{actor} set trading state{where} to {state}: {reason}",
                 f"trading_state:{scope}:{state}:{reason}")


def reconciliation_mismatch(differences: Mapping[str, tuple[float, float]], broker: str) -> Alert:
    """Ledger and broker positions disagree; ``differences`` maps instrument -> (ledger, broker)."""
    if not differences:
        raise ValueError("reconciliation_mismatch needs at least one differing instrument")
    lines = [f"{iid}: ledger {led:g} vs {broker} {brk:g}" for iid, (led, brk) in sorted(differences.items())]
    key = ",".join(sorted(differences))
    return Alert(AlertKind.RECONCILIATION, f"Positions differ from {broker} on {len(lines)} instrument(s)",
                 Severity.CRITICAL, "\n".join(lines), f"reconciliation:{broker}:{key}")


def drawdown_breach(drawdown: float, limit: float, strategy_id: str) -> Alert:
    """Drawdown (a positive fraction, e.g. 0.12) went past ``limit``."""
    return Alert(AlertKind.DRAWDOWN, f"{strategy_id}: drawdown {drawdown:.2%} past limit {limit:.2%}",
                 Severity.CRITICAL, f"Strategy {strategy_id} is {drawdown:.2%} below its peak equity; "
                 f"the limit is {limit:.2%}.", f"drawdown:{strategy_id}:{limit:.4f}")


def model_drift(model_name: str, version: str, reason: str) -> Alert:
    """The entry filter's inputs drifted or its live hit rate decayed; a retrain was launched.

    ``version`` is the registry version in use (or "walk-forward <cutoff>" without a champion);
    one incident per model, version and reason until the dispatcher's window passes.
    """
    return Alert(AlertKind.MODEL_DRIFT, f"{model_name} {version}: retraining on drift", Severity.WARNING,
                 f"Entry filter {model_name} ({version}) needs retraining: {reason}. The retrain_models job "
                 "was launched; its promotion gate decides whether the new model replaces the champion.",
                 f"model_drift:{model_name}:{version}:{reason}")
