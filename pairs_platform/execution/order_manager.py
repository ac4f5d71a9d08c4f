"""Order manager: the one order path, paper and live: targets -> orders -> risk engine -> broker.

Inside ``ledger.strategy_lock(strategy_id)`` (one transaction, serialising concurrent runs of
the same strategy) it reads the trading state, the session record, positions and open orders,
computes the deltas, passes every order through the :class:`~pairs_platform.execution.risk_engine.RiskEngine`
and records the accepted ones as ``pending`` (refusals in ``refusals``) and the session as done.
After the lock it submits the pending orders of the session to the broker (write-ahead: a crash
leaves them ``pending`` and the retry resubmits them under the same client order id).

With a ``sequencer`` (live trading: :class:`~pairs_platform.execution.legging.PairSequencer`) the
new orders go out in the sequencer's order, pair entries legged (less liquid leg first, hedge sized
on its fills, timeout -> cancel + unwind); without one, one after the other, sells first.

Idempotency: one order per (strategy_id, as_of, instrument_id) (``make_client_order_id``). A
session already done is a no-op when run again with the same targets (retries, re-launched
backfills); an earlier session with other targets than the ledger recorded is refused.
"""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Mapping, Protocol

import numpy as np
import pandas as pd

from pairs_platform.execution.broker import (
    Broker, Order, OrderStatus, Side, make_client_order_id, to_date,
)
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.legging import LeggingResult
from pairs_platform.execution.ledger_state import StrategyBook, TradingState, targets_digest
from pairs_platform.execution.targets import validate_reference_prices, validate_targets
from pairs_platform.execution.risk_engine import RiskEngine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedOrder:
    """An order the rebalance did not send, and why (``reason`` starts with the check's name)."""

    instrument_id: str
    client_order_id: str
    reason: str


class OrderSequencer(Protocol):
    """Decides how a session's new (recorded, risk-checked) orders go out: single orders, or pairs
    legged one after the other (:class:`~pairs_platform.execution.legging.PairSequencer`)."""

    def plan(self, orders: list[Order]) -> list[tuple[Order, ...]]:
        """The orders in sending order, as 1-tuples (single orders) and 2-tuples (first, hedge)."""
        ...

    def execute_pair(self, first: Order, hedge: Order) -> LeggingResult:
        """Send ``first``, then ``hedge`` sized on its fills (or cancel + unwind)."""
        ...


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
    already_done: bool = False
    bar: pd.Timestamp | None = None
    trading_state: str = TradingState.ACTIVE.value
    deltas: pd.DataFrame = field(default_factory=pd.DataFrame)
    legging: list[LeggingResult] = field(default_factory=list)

    @property
    def n_sent(self) -> int:
        """Orders that reached the broker in this call (new plus resubmitted)."""
        return len(self.sent) + len(self.resubmitted)

    def summary(self) -> str:
        """One line for logs and Dagster metadata."""
        head = f"{self.strategy_id} {self.as_of}"
        if self.already_done:
            return f"{head}: session already done with these targets, nothing to do"
        if self.blocked_reason:
            return f"{head}: BLOCKED, nothing sent ({self.blocked_reason})"
        return (f"{head} [{self.trading_state}]: sent {len(self.sent)}, resubmitted "
                f"{len(self.resubmitted)}, refused {len(self.refused)}, skipped "
                f"{len(self.skipped)}, stale cancelled {len(self.cancelled_stale)}"
                + (f", pairs legged {len(self.legging)}" if self.legging else ""))


class OrderManager:
    """Computes order deltas against the ledger, checks them with ``risk`` and sends them.

    ``instruments`` (the instrument table) makes unknown instrument ids an error;
    ``quantity_tolerance`` ignores smaller deltas; ``sequencer`` sends the new orders (pair legging).
    """

    def __init__(self, broker: Broker, ledger: Ledger, risk: RiskEngine, *,
                 instruments: pd.DataFrame | None = None,
                 quantity_tolerance: float = 1e-9, sequencer: OrderSequencer | None = None) -> None:
        if not isinstance(risk, RiskEngine):
            raise ExecutionInputError(
                f"OrderManager needs a RiskEngine (every order passes it), got {type(risk).__name__}; "
                "build one with RiskEngine(RiskEngineConfig(...), instruments)")
        self.broker, self.ledger, self.risk = broker, ledger, risk
        self.instruments = instruments
        self.quantity_tolerance = float(quantity_tolerance)
        self.sequencer = sequencer

    def rebalance(self, strategy_id: str, as_of: object, targets: pd.Series,
                  reference_prices: Mapping[str, float] | pd.Series | None = None,
                  bar: pd.Timestamp | None = None) -> RebalanceReport:
        """Move ``strategy_id`` toward ``targets`` (instrument_id -> units) as of ``as_of``.

        Instruments held (or with open orders) but missing from ``targets`` are targeted to 0.
        Delta = target - (ledger position + remaining quantity of open orders); sells first.
        ``reference_prices`` are the session's market prices (risk checks and equity).
        ``bar`` (intraday): the tz-aware end time of the bar the targets were decided at; it
        enters the client order ids, so every bar of a session trades under its own ids.
        """
        day = to_date(as_of)
        if not isinstance(strategy_id, str) or not strategy_id.strip():
            raise ExecutionInputError(f"strategy_id={strategy_id!r} must be a non-empty string")
        target = validate_targets(targets, strategy_id, day, self.instruments)
        prices = validate_reference_prices(reference_prices, strategy_id, day)
        report = RebalanceReport(strategy_id, day, bar=bar)
        with self.ledger.strategy_lock(strategy_id) as book:
            resubmit, new = self._plan(book, report, target, prices)
        for coid in report.cancelled_stale:
            self.broker.cancel(coid)  # in case the interrupted submit reached the broker
        self._submit_all(report, resubmit, new)
        (log.warning if report.blocked_reason else log.info)(report.summary())
        return report

    # ---- inside the lock --------------------------------------------------------------
    def _plan(self, book: StrategyBook, report: RebalanceReport, target: pd.Series,
              prices: dict[str, float]) -> tuple[list[Order], list[Order]]:
        """(pending orders of this session to resubmit, new orders recorded pending)."""
        digest = targets_digest(target)
        if self._session_done(book, report, digest):
            return [], []
        session = self.risk.begin_session(book, report.as_of, prices)
        report.trading_state = session.state.state.value
        halted = session.state.state is TradingState.HALTED
        if halted:
            report.blocked_reason = f"trading {session.state.describe()}"
        resubmit = self._settle_pending(book, report)
        report.deltas = self._deltas(book, target)
        candidates = [order for instrument_id, delta in _sells_first(report.deltas)
                      if (order := self._order_for(book, report, instrument_id, delta,
                                                   prices.get(instrument_id))) is not None]
        accepted = []
        for order, refusal in zip(candidates, self.risk.check_orders(candidates, session)):
            if refusal is not None:
                book.record_refusal(order, refusal.check, refusal.detail, session.state.state)
                report.refused.append(SkippedOrder(order.instrument_id, order.client_order_id,
                                                   f"{refusal.check}: {refusal.detail}"))
                report.deltas.loc[order.instrument_id, "action"] = "refused"
            elif not book.record_order(order):
                _skip(report, order.instrument_id, order.client_order_id,
                      "recorded concurrently by another run")
            else:
                accepted.append(order)
        if halted:
            return [], []
        book.record_session(report.as_of, digest, session.equity)
        return resubmit, accepted

    def _session_done(self, book: StrategyBook, report: RebalanceReport, digest: str) -> bool:
        """True for a re-run of a session before the ledger's latest with the same targets;
        raises for an earlier session with new targets (the ledger only moves forward)."""
        latest = book.latest_session()
        if latest is None or report.as_of >= latest:
            return False
        recorded = book.session_digest(report.as_of)
        if recorded == digest:
            report.already_done = True
            return True
        what = ("other targets than the ones it traded" if recorded is not None
                else "targets for a session it never traded")
        raise ExecutionInputError(
            f"rebalance of {report.strategy_id} as of {report.as_of}: the ledger's latest session is "
            f"{latest} and this call brings {what}; the ledger only moves forward. Re-running done "
            "sessions with their original targets is a no-op; for a historical replay with new "
            "targets use a fresh ledger or strategy_id")

    def _settle_pending(self, book: StrategyBook, report: RebalanceReport) -> list[Order]:
        """Pending orders of this day are resubmitted; of earlier days cancelled (stale)."""
        resubmit = []
        for record in book.orders([OrderStatus.PENDING]):
            order = record.order
            if order.as_of == report.as_of:
                resubmit.append(order)
            elif order.as_of < report.as_of:
                book.mark_cancelled(order.client_order_id,
                                    f"stale: recorded on {order.as_of} but never acknowledged by "
                                    f"{self.broker.name}; cancelled before the rebalance of {report.as_of}")
                report.cancelled_stale.append(order.client_order_id)
        return resubmit

    def _deltas(self, book: StrategyBook, target: pd.Series) -> pd.DataFrame:
        position = pd.Series(book.positions(), dtype="float64")
        working = pd.Series(book.open_quantity(), dtype="float64")
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

    def _order_for(self, book: StrategyBook, report: RebalanceReport, instrument_id: str,
                   delta: float, reference_price: float | None) -> Order | None:
        coid = make_client_order_id(report.strategy_id, report.as_of, instrument_id, report.bar)
        existing = book.get_order(coid)
        if existing is not None:
            _skip(report, instrument_id, coid, (
                f"an order for {instrument_id} as of {report.as_of} already exists "
                f"({existing.status.value}, {existing.order.side.value} "
                f"{existing.order.quantity:g}) and one order per instrument and day is the "
                f"idempotency rule; the remaining delta {delta:g} waits for the next as_of"))
            return None
        return Order(coid, report.strategy_id, report.as_of, instrument_id,
                     Side.BUY if delta > 0 else Side.SELL, abs(float(delta)),
                     reference_price=reference_price, reason="rebalance")

    # ---- after the lock ---------------------------------------------------------------
    def _submit_all(self, report: RebalanceReport, resubmit: list[Order], new: list[Order]) -> None:
        if not (resubmit or new):
            return
        state = self.ledger.trading_state(report.strategy_id)
        if state.state is TradingState.HALTED:  # halted between recording and sending
            report.blocked_reason = f"trading {state.describe()}; {len(resubmit) + len(new)} orders stay pending"
            return
        for order in resubmit:
            if self._submit(report, order):
                report.resubmitted.append(order)
        groups = self.sequencer.plan(new) if self.sequencer is not None else [(o,) for o in new]
        for group in groups:
            if len(group) == 2:
                self._leg(report, *group)
            elif self._submit(report, group[0]):
                report.sent.append(group[0])
                report.deltas.loc[group[0].instrument_id, "action"] = "sent"

    def _leg(self, report: RebalanceReport, first: Order, hedge: Order) -> None:
        """A pair entry through the sequencer; every order it sent (first, hedge, unwind) is ``sent``."""
        result = self.sequencer.execute_pair(first, hedge)
        report.legging.append(result)
        for coid in filter(None, (result.first, result.hedge, result.unwind)):
            record = self.ledger.get_order(coid)
            report.sent.append(record.order)
            report.deltas.loc[record.order.instrument_id, "action"] = "legged"

    def _submit(self, report: RebalanceReport, order: Order) -> bool:
        """Submit and record the ack; exceptions propagate and leave the order ``pending``."""
        ack = self.broker.submit(order)
        status = self.ledger.apply_ack(ack, self.broker.name)
        if status in (OrderStatus.SUBMITTED, OrderStatus.FILLED):
            return True
        reason = ack.message or f"{self.broker.name} answered {status.value}"
        report.refused.append(SkippedOrder(order.instrument_id, order.client_order_id, f"broker: {reason}"))
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
