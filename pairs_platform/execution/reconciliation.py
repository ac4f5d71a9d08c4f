"""Reconciliation of the ledger with the broker (modelled on nautilus_trader's
``live/reconciliation.py``: the venue's reports are the truth to check against, missing reports
are never read as "flat").

One cycle (:meth:`Reconciler.run`), on every connect, after every reconnect (IB 1101/1102) and on a
timer during a run (:meth:`Reconciler.maybe_run`):

1. ask the broker for positions, open orders and the day's executions; if ANY query fails or times
   out the cycle is skipped (report ``skipped``, nothing changed): fail closed;
2. executions of ledger orders not yet in the ledger become fills (by execId, exactly once);
3. compare, with every difference named:

   - ``unknown_execution``: an execution whose orderRef is not a ledger order;
   - ``unknown_order``: a working broker order the ledger does not know;
   - ``missing_order``: a ledger order ``submitted`` and not filled that the broker does not work;
   - ``open_quantity_mismatch``: a working order whose remaining quantity differs;
   - ``unknown_position`` / ``position_mismatch``: the account's position per instrument differs
     from the sum of the strategies' ledger positions;

4. any difference puts the strategies concerned (those with ledger orders in the instrument; the
   global scope if none) in HALTED, with the report and the command that resumes trading once a
   human has checked: ``pairs-platform resume --reason "..." [--strategy ID]``.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol

import pandas as pd

from pairs_platform.execution.broker import OpenOrder, OrderStatus
from pairs_platform.execution.ib_fills import ExecutionReport, FillRecorder
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.ledger_schema import GLOBAL_SCOPE
from pairs_platform.execution.ledger_sql import utcnow
from pairs_platform.execution.ledger_state import TradingState

log = logging.getLogger(__name__)
WHO = "reconciliation"


class BrokerReports(Protocol):
    """What reconciliation asks a live broker; each call queries the broker afresh and raises
    (rather than returning an empty answer) when the broker does not answer."""

    name: str

    def report_positions(self) -> Mapping[str, float]:
        """Account position per instrument id."""
        ...

    def report_open_orders(self) -> list[OpenOrder]:
        """Every working order of the account (``client_order_id`` '' if not ours)."""
        ...

    def report_executions(self) -> list[ExecutionReport]:
        """Executions of the current trading day."""
        ...


@dataclass(frozen=True)
class Difference:
    """One way the broker and the ledger disagree."""

    kind: str
    instrument_id: str
    detail: str
    strategies: tuple[str, ...] = ()


@dataclass
class ReconciliationReport:
    """The outcome of one cycle."""

    at: dt.datetime
    broker: str
    skipped_reason: str | None = None
    differences: list[Difference] = field(default_factory=list)
    recovered_fills: list[str] = field(default_factory=list)
    halted_scopes: list[str] = field(default_factory=list)
    executions_checked: int = 0

    @property
    def ok(self) -> bool:
        """True when the cycle ran and found no difference."""
        return self.skipped_reason is None and not self.differences

    def text(self) -> str:
        """Human-readable report: every difference, then how to resume."""
        head = f"reconciliation with {self.broker} at {self.at:%Y-%m-%d %H:%M:%S} UTC"
        if self.skipped_reason:
            return f"{head}: SKIPPED (nothing changed, nothing assumed): {self.skipped_reason}"
        if not self.differences:
            return (f"{head}: ledger and broker agree ({self.executions_checked} executions checked, "
                    f"{len(self.recovered_fills)} fills recovered)")
        lines = [f"{head}: {len(self.differences)} difference(s); trading HALTED for "
                 f"{', '.join(self.halted_scopes)}"]
        lines += [f"  - {d.kind} {d.instrument_id}: {d.detail}" for d in self.differences]
        lines += [f"  resume after checking: {resume_command(scope)}" for scope in self.halted_scopes]
        return "\n".join(lines)


def resume_command(scope: str) -> str:
    """The CLI command that acknowledges a halt of ``scope``."""
    target = "" if scope == GLOBAL_SCOPE else f" --strategy {scope}"
    return f'pairs-platform resume --reason "<what you checked>"{target}'


class Reconciler:
    """Compares ``broker``'s reports with ``ledger``; halts on any difference (see module doc).

    ``interval`` seconds between timer cycles (:meth:`maybe_run`); ``clock`` is injectable.
    """

    def __init__(self, broker: BrokerReports, ledger: Ledger, *,
                 instruments: pd.DataFrame | None = None, interval: float = 300.0,
                 tolerance: float = 1e-6, clock: Callable[[], float] = time.monotonic) -> None:
        self.broker, self.ledger = broker, ledger
        self.interval, self.tolerance, self.clock = interval, tolerance, clock
        self.fills = FillRecorder(ledger, instruments)
        self.last_run: float | None = None
        self.reports: list[ReconciliationReport] = []
        self.listeners: list[Callable[[ReconciliationReport], object]] = []  # e.g. the mismatch alert

    def maybe_run(self) -> ReconciliationReport | None:
        """Run a cycle if ``interval`` seconds passed since the last one."""
        if self.last_run is not None and self.clock() - self.last_run < self.interval:
            return None
        return self.run()

    def run(self) -> ReconciliationReport:
        """One cycle; returns (and keeps in ``reports``) its report, after telling ``listeners``."""
        report = self._cycle()
        for listener in self.listeners:
            listener(report)
        return report

    def _cycle(self) -> ReconciliationReport:
        self.last_run = self.clock()
        report = ReconciliationReport(utcnow(), self.broker.name)
        try:
            positions = dict(self.broker.report_positions())
            working = list(self.broker.report_open_orders())
            executions = list(self.broker.report_executions())
        except Exception as exc:  # noqa: BLE001 - any failed query skips the cycle
            report.skipped_reason = f"{type(exc).__name__}: {exc}"
            log.warning(report.text())
            self.reports.append(report)
            return report
        report.executions_checked = len(executions)
        report.recovered_fills = [e.exec_id for e in self.fills.record_all(
            executions, allow_missing_commission=True)]
        owners = self._owners()
        report.differences = (self._execution_diffs(executions, owners)
                              + self._order_diffs(working, owners)
                              + self._position_diffs(positions, owners))
        if report.differences:
            self._halt(report)
        (log.error if report.differences else log.info)(report.text())
        self.reports.append(report)
        return report

    def _owners(self) -> dict[str, tuple[str, ...]]:
        owners: dict[str, set[str]] = defaultdict(set)
        for record in self.ledger.orders():
            owners[record.order.instrument_id].add(record.order.strategy_id)
        return {k: tuple(sorted(v)) for k, v in owners.items()}

    def _execution_diffs(self, executions: list[ExecutionReport], owners) -> list[Difference]:
        return [Difference("unknown_execution", e.instrument_id,
                           f"execution {e.exec_id} ({e.side.value} {e.quantity:g} @ {e.price:g}) has "
                           f"orderRef {e.client_order_id!r}, not a ledger order",
                           owners.get(e.instrument_id, ()))
                for e in executions if self.ledger.get_order(e.client_order_id) is None]

    def _order_diffs(self, working: list[OpenOrder], owners) -> list[Difference]:
        out = []
        at_broker = {w.client_order_id: w for w in working if w.client_order_id}
        for w in working:
            record = self.ledger.get_order(w.client_order_id) if w.client_order_id else None
            if record is None:
                out.append(Difference("unknown_order", w.instrument_id,
                                      f"broker order {w.broker_order_id} (orderRef {w.client_order_id!r}, "
                                      f"{w.side.value} {w.remaining_quantity:g}) is not in the ledger",
                                      owners.get(w.instrument_id, ())))
            elif not math.isclose(record.remaining_quantity, w.remaining_quantity, abs_tol=self.tolerance):
                out.append(Difference("open_quantity_mismatch", w.instrument_id,
                                      f"order {w.client_order_id}: broker remaining {w.remaining_quantity:g}, "
                                      f"ledger remaining {record.remaining_quantity:g} ({record.status.value})",
                                      owners.get(w.instrument_id, ())))
        for record in self.ledger.orders(statuses=[OrderStatus.SUBMITTED]):
            if record.remaining_quantity > self.tolerance and record.order.client_order_id not in at_broker:
                o = record.order
                out.append(Difference("missing_order", o.instrument_id,
                                      f"ledger order {o.client_order_id} ({o.side.value} {o.quantity:g}, "
                                      f"filled {record.filled_quantity:g}) is submitted but the broker "
                                      "does not work it", (o.strategy_id,)))
        return out

    def _position_diffs(self, positions: Mapping[str, float], owners) -> list[Difference]:
        ledger_positions = self.ledger.positions()
        out = []
        for instrument_id in sorted(set(positions) | set(ledger_positions)):
            broker_qty = float(positions.get(instrument_id, 0.0))
            ledger_qty = float(ledger_positions.get(instrument_id, 0.0))
            if math.isclose(broker_qty, ledger_qty, abs_tol=self.tolerance):
                continue
            kind = "unknown_position" if ledger_qty == 0 else "position_mismatch"
            out.append(Difference(kind, instrument_id,
                                  f"broker holds {broker_qty:g}, ledger strategies hold {ledger_qty:g}",
                                  owners.get(instrument_id, ())))
        return out

    def _halt(self, report: ReconciliationReport) -> None:
        scopes = sorted({s for d in report.differences for s in d.strategies}
                        | ({GLOBAL_SCOPE} if any(not d.strategies for d in report.differences) else set()))
        summary = "; ".join(f"{d.kind} {d.instrument_id}: {d.detail}" for d in report.differences)
        for scope in scopes:
            strategy = None if scope == GLOBAL_SCOPE else scope
            reason = f"{summary}; {resume_command(scope)}"
            current = self.ledger.trading_state(strategy)
            if current.state is TradingState.HALTED and current.who == WHO and current.reason == reason:
                continue  # the same finding again (timer cycle): no new event
            self.ledger.set_trading_state(TradingState.HALTED, WHO, reason, strategy)
        report.halted_scopes = scopes
