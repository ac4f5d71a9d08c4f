"""What the Dagster sensors alert on, read from the ledger (pure core: ``pairs_platform/defs/operations``
only wires these into sensors).

The trading-state sensor reads the ledger's ``trading_state_events`` after a cursor (the last event id
seen): every move of a scope to REDUCING or HALTED is an alert, and a REDUCING set by the risk engine's
drawdown breaker is also a drawdown-breach alert. A reconciliation cycle that finds differences is an
alert of its own (:func:`reconciliation_alert`, raised by the live execution run), carrying the full
report: every difference and the command that resumes trading.
"""
from __future__ import annotations

import re

import pandas as pd

from pairs_platform.alerts.model import Alert, AlertKind, Severity, drawdown_breach, trading_state_changed
from pairs_platform.execution.reconciliation import ReconciliationReport
from pairs_platform.execution.ledger_schema import GLOBAL_SCOPE
from pairs_platform.execution.risk_engine import BREAKER

PAGING_STATES = ("reducing", "halted")
# the breaker's reason: "equity 940,000.00 is 6.0% below its peak 1,000,000.00 (limit 5%): ..."
_BREAKER_REASON = re.compile(r"is (?P<dd>[\d.]+)% below its peak .*\(limit (?P<limit>[\d.]+)%\)")


def scope_name(scope: str) -> str:
    """The desk's name of a ledger scope (``global`` for ``'*'``)."""
    return "global" if scope == GLOBAL_SCOPE else scope


def _drawdown_alert(row) -> Alert | None:
    if row.state != "reducing" or row.who != BREAKER:
        return None
    found = _BREAKER_REASON.search(row.reason)
    if found is None:
        return None
    return drawdown_breach(float(found["dd"]) / 100.0, float(found["limit"]) / 100.0, scope_name(row.scope))


def trading_state_alerts(history: pd.DataFrame, after_id: int | None) -> tuple[list[Alert], int | None]:
    """Alerts for the trading-state events after ``after_id``, and the new cursor (the newest id).

    Parameters
    ----------
    history : pd.DataFrame
        ``Ledger.trading_state_history()`` (id, scope, state, who, reason, at; oldest first).
    after_id : int or None
        The last event id already seen; None (a sensor's first tick) looks at the newest event only,
        so turning the sensor on does not replay old history.

    Returns
    -------
    tuple of (list of Alert, int or None)
        One alert per move to REDUCING or HALTED (plus a drawdown breach for the drawdown breaker's
        REDUCING), and the newest event id (``after_id`` if there is no event).
    """
    if history.empty:
        return [], after_id
    new = history.tail(1) if after_id is None else history[history["id"] > after_id]
    alerts: list[Alert] = []
    for row in new[new["state"].isin(PAGING_STATES)].itertuples(index=False):  # a few events, not bars
        alerts.append(trading_state_changed(row.state, row.reason, row.who, scope_name(row.scope)))
        breach = _drawdown_alert(row)
        if breach is not None:
            alerts.append(breach)
    return alerts, int(history["id"].max())


def reconciliation_alert(report: ReconciliationReport) -> Alert:
    """A CRITICAL alert for a reconciliation cycle that found differences (the report is the body).

    The dedupe key names the broker and every (kind, instrument) found, so the same finding at each
    timer cycle is one incident within the dispatcher's window, and a new difference is a new alert.

    Raises
    ------
    ValueError
        For a report without differences (nothing to alert on).
    """
    if not report.differences:
        raise ValueError("reconciliation_alert needs a report with at least one difference")
    found = sorted({f"{d.kind}:{d.instrument_id}" for d in report.differences})
    scopes = ", ".join(scope_name(s) for s in report.halted_scopes) or "nothing"
    return Alert(AlertKind.RECONCILIATION,
                 f"Reconciliation with {report.broker}: {len(report.differences)} difference(s), "
                 f"trading HALTED for {scopes}", Severity.CRITICAL, report.text(),
                 f"reconciliation:{report.broker}:{','.join(found)}")
