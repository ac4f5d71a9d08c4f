"""Prometheus ``/metrics``: one fresh registry per scrape, filled from the desk's views.

Everything is a gauge of the ledger's and store's current state (the counts come from the database,
so they survive restarts). Reconciliation: ``mismatch`` while reconciliation's HALT stands (read from the
ledger's trading states), else ``unknown``.
"""
from __future__ import annotations

import datetime as dt

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, generate_latest

from pairs_platform.alerts import AlertKind
from pairs_platform.alerts.dispatcher import DUPLICATE
from pairs_platform.api.desk import Desk
from pairs_platform.api.readmodel import TradingStateName
from pairs_platform.execution.reconciliation import WHO as RECONCILIATION_WHO

PREFIX = "pairs"
RECONCILIATION_HISTORY = 1000  # trading-state changes read to find each scope's newest


def _gauge(registry: CollectorRegistry, name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
    return Gauge(f"{PREFIX}_{name}", doc, labelnames=labels, registry=registry)


def _positions(registry: CollectorRegistry, desk: Desk) -> None:
    view = desk.positions()
    pos = _gauge(registry, "position_units", "Net ledger position (units)", ("instrument_id", "asset_class"))
    tgt = _gauge(registry, "target_units", "Target position of the newest session (units)", ("instrument_id",))
    for row in view.instruments:
        pos.labels(row.instrument_id, row.asset_class).set(row.position)
        tgt.labels(row.instrument_id).set(row.target)


def _exposure_and_pnl(registry: CollectorRegistry, desk: Desk) -> None:
    exp = desk.exposure()
    money = _gauge(registry, "exposure_dollars", "Exposure in USD", ("kind",))
    frac = _gauge(registry, "exposure_fraction", "Exposure as a fraction of capital", ("kind",))
    by_class = _gauge(registry, "exposure_class_dollars", "Exposure per asset class (USD)", ("asset_class", "kind"))
    for kind, value in (("gross", exp.gross), ("net", exp.net)):
        money.labels(kind).set(value)
        frac.labels(kind).set(value / exp.capital)
    for row in exp.by_asset_class:
        by_class.labels(row.asset_class, "gross").set(row.gross)
        by_class.labels(row.asset_class, "net").set(row.net)
    pnl = desk.pnl()
    _gauge(registry, "pnl_cumulative_dollars", "Cumulative P&L since the first fill (USD)").set(pnl.total_pnl)
    _gauge(registry, "pnl_daily_dollars", "P&L of the newest session (USD)").set(
        pnl.points[-1].daily_pnl if pnl.points else 0.0)
    _gauge(registry, "drawdown_fraction", "Current drawdown from peak equity (<= 0)").set(pnl.current_drawdown)


def _orders_and_state(registry: CollectorRegistry, desk: Desk) -> None:
    view = desk.orders()
    orders = _gauge(registry, "orders", "Orders in the ledger by status", ("status",))
    for status in ("pending", "submitted", "filled", "cancelled", "rejected"):
        orders.labels(status).set(sum(o.status == status for o in view.orders))
    _gauge(registry, "orders_sent", "Orders sent to a broker (submitted or filled)").set(
        sum(o.status in ("submitted", "filled") for o in view.orders))
    _gauge(registry, "orders_refused", "Orders the risk engine refused (the ledger's refusals)").set(len(view.refusals))
    state = desk.model.trading_state().state
    gauge = _gauge(registry, "trading_state", "1 for the current trading state", ("state",))
    for name in TradingStateName:
        gauge.labels(name.value).set(1.0 if name is state else 0.0)
    _reconciliation(registry, desk)


def _reconciliation(registry: CollectorRegistry, desk: Desk) -> None:
    """``mismatch`` while a scope's newest state is a HALT set by reconciliation, else ``unknown``
    (clean cycles are not recorded in the ledger, so "ok" cannot be told apart from "never ran")."""
    newest: dict[str, object] = {}
    for state in desk.model.trading_state_history(RECONCILIATION_HISTORY):  # newest first, a few rows
        newest.setdefault(state.scope, state)
    halted = any(s.state is TradingStateName.HALTED and s.actor == RECONCILIATION_WHO for s in newest.values())
    gauge = _gauge(registry, "reconciliation_status", "Ledger vs broker reconciliation: 1 for the current status",
                   ("status",))
    gauge.labels("mismatch").set(1.0 if halted else 0.0)
    gauge.labels("unknown").set(0.0 if halted else 1.0)


def _data_and_alerts(registry: CollectorRegistry, desk: Desk) -> None:
    fresh = desk.freshness()
    last = fresh.last_session
    stamp = 0.0 if last is None else dt.datetime.combine(last, dt.time(), dt.UTC).timestamp()
    _gauge(registry, "last_data_session_timestamp_seconds", "Last cleaned-price session (UTC midnight)").set(stamp)
    _gauge(registry, "data_sessions_behind", "Sessions between the last stored and the expected one (-1: no data)"
           ).set(-1 if fresh.sessions_behind is None else fresh.sessions_behind)
    counts = desk.recorder.counts()
    alerts = _gauge(registry, "alerts", "Recorded alerts by kind and status", ("kind", "status"))
    for (kind, status), n in counts.items():
        alerts.labels(kind, status).set(n)
    _gauge(registry, "run_failures", "Run failures alerted (duplicates of the same run not counted)").set(
        sum(n for (kind, status), n in counts.items() if kind == AlertKind.RUN_FAILURE and status != DUPLICATE))


def render_metrics(desk: Desk) -> tuple[bytes, str]:
    """The Prometheus text exposition of the desk's state, and its content type."""
    registry = CollectorRegistry()
    for part in (_positions, _exposure_and_pnl, _orders_and_state, _data_and_alerts):
        part(registry, desk)
    return generate_latest(registry), CONTENT_TYPE_LATEST
