"""IB executions -> ledger fills, exactly once.

An IB execution (``execDetails``) and its ``commissionReport`` become ONE ledger fill whose
``fill_id`` is IB's ``execId``: the ledger's primary key makes a replayed execution (after a
reconnect or a restart, IB sends the day's executions again) a no-op, so nothing is counted twice.
The order is found by ``orderRef`` (our client order id); an execution whose ``orderRef`` is not in
the ledger is left to reconciliation (it reports it as an unknown order). Positions follow fills
only (the ledger updates the position in the fill's transaction); the filled quantity and average
entry price follow every partial fill.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from pairs_platform.execution.broker import Fill, Side
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.ledger import Ledger
from pairs_platform.ibkr.contracts import instrument_row

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExecutionReport:
    """One execution as the broker reports it (the unit reconciliation compares)."""

    exec_id: str
    client_order_id: str
    instrument_id: str
    side: Side
    quantity: float
    price: float
    commission: float | None
    time: dt.datetime
    broker_order_id: str | None = None


def execution_report(ib_fill: Any, instrument_id: str) -> ExecutionReport:
    """An :class:`ExecutionReport` from an ib_async ``Fill`` (commission None until reported)."""
    ex, report = ib_fill.execution, ib_fill.commissionReport
    commission = float(report.commission) if report.execId == ex.execId else None
    return ExecutionReport(
        exec_id=str(ex.execId), client_order_id=str(ex.orderRef or ""), instrument_id=instrument_id,
        side=Side.BUY if ex.side == "BOT" else Side.SELL, quantity=float(ex.shares),
        price=float(ex.price), commission=commission, time=ex.time,
        broker_order_id=str(ex.orderId) if ex.orderId else None)


class FillRecorder:
    """Records :class:`ExecutionReport` s in the ledger once each (by execId)."""

    def __init__(self, ledger: Ledger, instruments: pd.DataFrame | None = None) -> None:
        self.ledger, self.instruments = ledger, instruments
        self._seen: set[str] = set()

    def _multiplier(self, instrument_id: str) -> float:
        return float(instrument_row(instrument_id, self.instruments).get("multiplier") or 1.0)

    def record(self, report: ExecutionReport, *, allow_missing_commission: bool = False) -> bool:
        """Record ``report`` as a ledger fill; False if already recorded, unknown, or waiting for
        its commission (unless ``allow_missing_commission``, then commission 0 is logged)."""
        if report.exec_id in self._seen:
            return False
        if report.commission is None and not allow_missing_commission:
            return False
        record = self.ledger.get_order(report.client_order_id) if report.client_order_id else None
        if record is None:
            log.warning("IB execution %s (orderRef %r) is not a ledger order; reconciliation "
                        "will report it", report.exec_id, report.client_order_id)
            return False
        if report.commission is None:
            log.warning("IB execution %s has no commission report; recorded with commission 0",
                        report.exec_id)
        order = record.order
        self.ledger.mark_submitted(order.client_order_id, "ib",
                                   record.broker_order_id or report.broker_order_id)
        reference = order.reference_price
        slippage = (0.0 if reference is None else
                    abs(report.price - reference) * report.quantity * self._multiplier(order.instrument_id))
        fill = Fill(report.exec_id, order.client_order_id, order.strategy_id, order.instrument_id,
                    report.time.date() if report.time else order.as_of, report.side,
                    report.quantity, report.price, report.commission or 0.0, slippage)
        try:
            new = self.ledger.record_fill(fill)
        except ExecutionInputError as exc:  # e.g. an overfill: never guess, reconciliation halts
            log.error("IB execution %s not recorded: %s", report.exec_id, exc)
            return False
        self._seen.add(report.exec_id)
        return new

    def record_all(self, reports: Iterable[ExecutionReport], *,
                   allow_missing_commission: bool = False) -> list[ExecutionReport]:
        """Record every report; return those newly written to the ledger."""
        return [r for r in reports
                if self.record(r, allow_missing_commission=allow_missing_commission)]


def average_fill_price(ledger: Ledger, client_order_id: str) -> float | None:
    """Quantity-weighted average price of an order's fills (None before the first fill)."""
    fills = ledger.fills_frame()
    fills = fills[fills["client_order_id"] == client_order_id]
    if fills.empty:
        return None
    return float((fills["price"] * fills["quantity"]).sum() / fills["quantity"].sum())
