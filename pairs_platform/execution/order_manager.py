"""Order manager: turns target positions into idempotent orders through one broker.

Idempotency rule: one order per (strategy_id, as_of, instrument_id), identified by
``make_client_order_id``. A rebalance first looks the id up in the ledger (and the ledger's
UNIQUE constraint backs that up), so re-running the same rebalance sends nothing.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from pairs_platform.execution.broker import (
    OPEN_STATUSES, Broker, Order, OrderStatus, Side, make_client_order_id, to_date,
)
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.targets import validate_reference_prices, validate_targets

log = logging.getLogger(__name__)

PreTradeCheck = Callable[[Order], "str | None"]
"""Returns a reason to refuse the order, or None to let it through (risk package hook)."""


@dataclass(frozen=True)
class SkippedOrder:
    """An order the rebalance did not send, and why."""

    instrument_id: str
    client_order_id: str
    reason: str


@dataclass
class RebalanceReport:
    """What one rebalance did. ``deltas`` has one row per instrument considered."""

    strategy_id: str
    as_of: dt.date
    sent: list[Order] = field(default_factory=list)
    resubmitted: list[Order] = field(default_factory=list)
    refused: list[SkippedOrder] = field(default_factory=list)
    skipped: list[SkippedOrder] = field(default_factory=list)
    cancelled_stale: list[str] = field(default_factory=list)
    blocked_reason: str | None = None
    deltas: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n_sent(self) -> int:
        """Orders that reached the broker in this call (new plus resubmitted)."""
        return len(self.sent) + len(self.resubmitted)

    def summary(self) -> str:
        """One line for logs and Dagster metadata."""
        if self.blocked_reason:
            return f"{self.strategy_id} {self.as_of}: BLOCKED, nothing sent ({self.blocked_reason})"
        return (f"{self.strategy_id} {self.as_of}: sent {len(self.sent)}, resubmitted "
                f"{len(self.resubmitted)}, refused {len(self.refused)}, skipped "
                f"{len(self.skipped)}, stale cancelled {len(self.cancelled_stale)}")


class OrderManager:
    """Computes order deltas against the ledger and sends them through ``broker``.

    ``instruments`` (the instrument table) makes unknown instrument ids an error;
    ``pre_trade_check(order) -> reason | None`` can refuse single orders (recorded as
    rejected with that reason); ``quantity_tolerance`` ignores smaller deltas.
    """

    def __init__(self, broker: Broker, ledger: Ledger, *,
                 instruments: pd.DataFrame | None = None,
                 pre_trade_check: PreTradeCheck | None = None,
                 quantity_tolerance: float = 1e-9) -> None:
        self.broker = broker
        self.ledger = ledger
        self.instruments = instruments
        self.pre_trade_check = pre_trade_check
        self.quantity_tolerance = float(quantity_tolerance)

    def rebalance(self, strategy_id: str, as_of: object, targets: pd.Series,
                  reference_prices: Mapping[str, float] | pd.Series | None = None,
                  ) -> RebalanceReport:
        """Move ``strategy_id`` toward ``targets`` (instrument_id -> units) as of ``as_of``.

        Instruments the strategy holds (or has open orders in) but that are missing from
        ``targets`` are targeted to 0: ``targets`` is the strategy's whole book. Delta =
        target - (ledger position + remaining quantity of open orders). Sells go first.
        Safe to re-run: an existing order id is never sent again; a ``pending`` order of the
        same day (recorded, but the submit was interrupted) is resubmitted instead.
        """
        day = to_date(as_of)
        if not isinstance(strategy_id, str) or not strategy_id.strip():
            raise ExecutionInputError(f"strategy_id={strategy_id!r} must be a non-empty string")
        target = validate_targets(targets, strategy_id, day, self.instruments)
        prices = validate_reference_prices(reference_prices, strategy_id, day)
        report = RebalanceReport(strategy_id, day)
        switch = self.ledger.kill_switch()
        if switch.engaged:
            report.blocked_reason = f"kill switch engaged since {switch.at}: {switch.reason}"
            log.warning(report.summary())
            return report
        self._refuse_going_back_in_time(strategy_id, day)
        self._resume_pending(report)
        report.deltas = self._deltas(strategy_id, target)
        for instrument_id, delta in _sells_first(report.deltas):
            self._send_delta(report, instrument_id, delta, prices.get(instrument_id))
        log.info(report.summary())
        return report

    # ---- steps ------------------------------------------------------------------------
    def _refuse_going_back_in_time(self, strategy_id: str, day: dt.date) -> None:
        latest = self.ledger.latest_as_of(strategy_id)
        if latest is not None and latest > day:
            raise ExecutionInputError(
                f"rebalance of {strategy_id} as of {day}: the ledger already has orders as of "
                f"{latest}; the ledger only moves forward, run rebalances in date order "
                "(or use a fresh ledger / strategy_id for a historical replay)")

    def _resume_pending(self, report: RebalanceReport) -> None:
        """Finish interrupted submits of this day; cancel pending orders of earlier days."""
        pending = self.ledger.orders(report.strategy_id, statuses=[OrderStatus.PENDING])
        for record in pending:
            order = record.order
            if order.as_of == report.as_of:
                if self._submit(report, order):
                    report.resubmitted.append(order)
            elif order.as_of < report.as_of:
                self.broker.cancel(order.client_order_id)  # in case it reached the broker
                self.ledger.mark_cancelled(
                    order.client_order_id,
                    f"stale: recorded on {order.as_of} but never acknowledged by "
                    f"{self.broker.name}; cancelled before the rebalance of {report.as_of}")
                report.cancelled_stale.append(order.client_order_id)

    def _deltas(self, strategy_id: str, target: pd.Series) -> pd.DataFrame:
        position = pd.Series(self.ledger.positions(strategy_id), dtype="float64")
        open_records = self.ledger.orders(strategy_id, statuses=OPEN_STATUSES)
        working = pd.Series(
            [r.remaining_quantity * (1 if r.order.side is Side.BUY else -1) for r in open_records],
            index=[r.order.instrument_id for r in open_records], dtype="float64",
        ).groupby(level=0).sum()
        ids = target.index.union(position.index).union(working.index).sort_values()
        frame = pd.DataFrame({
            "target": target.reindex(ids, fill_value=0.0),
            "position": position.reindex(ids, fill_value=0.0),
            "open_quantity": working.reindex(ids, fill_value=0.0),
        })
        frame.index.name = "instrument_id"
        delta = frame["target"] - frame["position"] - frame["open_quantity"]
        frame["delta"] = delta.where(delta.abs() > self.quantity_tolerance, 0.0)
        frame["action"] = np.where(frame["delta"] == 0.0, "none", "")
        return frame

    def _send_delta(self, report: RebalanceReport, instrument_id: str, delta: float,
                    reference_price: float | None) -> None:
        coid = make_client_order_id(report.strategy_id, report.as_of, instrument_id)
        existing = self.ledger.get_order(coid)
        if existing is not None:
            _skip(report, instrument_id, coid, (
                f"an order for {instrument_id} as of {report.as_of} already exists "
                f"({existing.status.value}, {existing.order.side.value} "
                f"{existing.order.quantity:g}) and one order per instrument and day is the "
                f"idempotency rule; the remaining delta {delta:g} waits for the next as_of"))
            return
        order = Order(coid, report.strategy_id, report.as_of, instrument_id,
                      Side.BUY if delta > 0 else Side.SELL, abs(float(delta)),
                      reference_price=reference_price, reason="rebalance")
        refusal = self.pre_trade_check(order) if self.pre_trade_check else None
        if refusal:
            self.ledger.record_order(order, OrderStatus.REJECTED, f"pre-trade check: {refusal}")
            report.refused.append(SkippedOrder(instrument_id, coid, refusal))
            report.deltas.loc[instrument_id, "action"] = "refused"
        elif not self.ledger.record_order(order):
            _skip(report, instrument_id, coid, "recorded concurrently by another run")
        elif self._submit(report, order):
            report.sent.append(order)
            report.deltas.loc[instrument_id, "action"] = "sent"

    def _submit(self, report: RebalanceReport, order: Order) -> bool:
        """Submit and record the ack; exceptions propagate and leave the order ``pending``."""
        ack = self.broker.submit(order)
        status = self.ledger.apply_ack(ack, self.broker.name)
        if status in (OrderStatus.SUBMITTED, OrderStatus.FILLED):
            return True
        reason = ack.message or f"{self.broker.name} answered {status.value}"
        report.refused.append(SkippedOrder(order.instrument_id, order.client_order_id, reason))
        if order.instrument_id in report.deltas.index:
            report.deltas.loc[order.instrument_id, "action"] = "refused"
        return False


def _skip(report: RebalanceReport, instrument_id: str, coid: str, reason: str) -> None:
    report.skipped.append(SkippedOrder(instrument_id, coid, reason))
    report.deltas.loc[instrument_id, "action"] = "skipped"


def _sells_first(deltas: pd.DataFrame) -> list[tuple[str, float]]:
    moving = deltas.loc[deltas["delta"] != 0.0, "delta"]
    ordered = sorted(moving.items(), key=lambda item: (item[1] > 0, item[0]))
    return [(str(instrument_id), float(delta)) for instrument_id, delta in ordered]
