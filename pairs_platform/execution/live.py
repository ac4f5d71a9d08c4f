"""The live session runner: what ``live_executions`` does with the IB broker, as pure core.

One run (:func:`run_live_sessions`), for the sessions of a partition range:

1. **reconcile on connect**: a :class:`~pairs_platform.execution.reconciliation.Reconciler` is
   registered as the broker's ``after_connect`` hook, so it runs on the first connect and after
   every reconnect (the adapter reconnects lazily, and re-runs the hooks after IB 1101/1102);
   any difference HALTs the strategies concerned before a single order goes out;
2. **each session through the one order path** (targets -> order manager -> risk engine ->
   broker), pair entries **legged** by :class:`~pairs_platform.execution.legging.PairSequencer`
   (less liquid leg first by the session's dollar volume, hedge sized on the first leg's
   cumulative fills, first leg not filled in ``LeggingPolicy.first_leg_timeout`` -> cancel it and
   unwind what filled);
3. while waiting for fills (legging, and up to ``settle_seconds`` after the last session) the
   broker is polled and the reconciler's **timer** runs a cycle every ``reconcile_interval``
   seconds; a **closing cycle** runs at the end;
4. every report with a difference goes to ``on_mismatch`` (the Dagster layer raises an alert);
5. the broker is **always disconnected** at the end (``finally``), whatever happened.

No dagster here: ``pairs_platform.defs.execution.assets.live_executions`` only calls this.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping, Protocol

import pandas as pd

from pairs_platform.execution.broker import Broker, OpenOrder, OrderStatus
from pairs_platform.execution.ib_fills import ExecutionReport
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.legging import LeggingPolicy, LeggingResult, PairLegger, PairSequencer
from pairs_platform.execution.reconciliation import Reconciler, ReconciliationReport
from pairs_platform.execution.session import (
    ORDER_COLUMNS, SessionInputs, SessionsResult, execute_sessions, session_liquidity,
)


class LiveBroker(Broker, Protocol):
    """A broker at a real venue: the order protocol, plus connection, message pump and the fresh
    reports reconciliation compares (:class:`~pairs_platform.execution.ib.IBBroker`)."""

    after_connect: list[Callable[[], object]]

    def connect(self) -> str:
        """Connect (guarded), run the ``after_connect`` hooks; return the account."""
        ...

    def poll(self, seconds: float = 0.0) -> list[ExecutionReport]:
        """Process the venue's messages for ``seconds``; return the fills newly recorded."""
        ...

    def disconnect(self) -> None:
        """Close the connection."""
        ...

    def report_positions(self) -> Mapping[str, float]:
        """Fresh account positions per instrument id (raises when the venue does not answer)."""
        ...

    def report_open_orders(self) -> list[OpenOrder]:
        """Fresh working orders of the account."""
        ...

    def report_executions(self) -> list[ExecutionReport]:
        """Fresh executions of the trading day."""
        ...


@dataclass(frozen=True)
class LiveOptions:
    """Timings of a live run: legging policy, reconciliation timer, wait for fills at the end."""

    legging: LeggingPolicy = LeggingPolicy()
    reconcile_interval: float = 300.0
    settle_seconds: float = 5.0
    poll_seconds: float = 0.2


@dataclass
class LiveRunResult:
    """What a live run did: the orders, the fills it recorded, every reconciliation report, the
    legged pairs and the trading state at the end."""

    sessions: SessionsResult
    fills: int
    reconciliations: list[ReconciliationReport] = field(default_factory=list)
    legging: list[LeggingResult] = field(default_factory=list)
    trading_state: str = ""

    @property
    def reconciled_ok(self) -> bool:
        """True when at least one cycle ran and none found a difference."""
        ran = [r for r in self.reconciliations if r.skipped_reason is None]
        return bool(ran) and all(r.ok for r in ran)

    def reconciliation_text(self) -> str:
        """Every report of the run, oldest first (what the asset shows)."""
        return "\n".join(r.text() for r in self.reconciliations) or "no reconciliation ran"

    def legging_rows(self) -> pd.DataFrame:
        """One row per legged pair: first leg, hedge, unwind, outcome, slippage."""
        return pd.DataFrame([{"first": r.first, "hedge": r.hedge or "", "unwind": r.unwind or "",
                              "outcome": r.outcome, "slippage": round(r.slippage, 2)} for r in self.legging],
                            columns=["first", "hedge", "unwind", "outcome", "slippage"])


def _liquidity(cleaned_prices: pd.DataFrame) -> Callable[[object], Mapping[str, float]]:
    return lambda day: session_liquidity(cleaned_prices, pd.Timestamp(day))


def _column(instruments: pd.DataFrame, name: str) -> dict[str, float]:
    if instruments is None or name not in instruments.columns:
        return {}
    return instruments[name].dropna().astype(float).to_dict()


def _sequencer(broker: LiveBroker, ledger: Ledger, inputs: SessionInputs,
               wait: Callable[[float], object], options: LiveOptions) -> PairSequencer:
    legger = PairLegger(broker, ledger, options.legging, wait=wait,
                        multipliers=_column(inputs.instruments, "multiplier"))
    return PairSequencer(legger, inputs.target_positions, liquidity=_liquidity(inputs.cleaned_prices),
                         lots=_column(inputs.instruments, "lot_size"))


def _settle(ledger: Ledger, strategy_id: str, wait: Callable[[float], object], options: LiveOptions) -> None:
    """Poll until no order of ``strategy_id`` is working, or ``settle_seconds`` passed."""
    deadline = time.monotonic() + options.settle_seconds
    while True:
        wait(0.0)
        if not ledger.orders(strategy_id, statuses=[OrderStatus.SUBMITTED]) or time.monotonic() >= deadline:
            return
        wait(options.poll_seconds)


def run_live_sessions(broker: LiveBroker, ledger: Ledger, inputs: SessionInputs,
                      sessions: Iterable[pd.Timestamp], options: LiveOptions = LiveOptions(), *,
                      on_mismatch: Callable[[ReconciliationReport], object] | None = None,
                      log: Callable[[str], None] | None = None) -> LiveRunResult:
    """Execute ``sessions`` live through ``broker``, reconciled, legged and always disconnected.

    Parameters
    ----------
    broker : LiveBroker
        The live broker (from the one factory), not yet connected.
    ledger : Ledger
        The SQL ledger (orders, fills, positions, trading states).
    inputs : SessionInputs
        Strategy id, instruments, traded closes (with ``volume`` for the legging order) and targets.
    sessions : iterable of pd.Timestamp
        Sessions in ascending order.
    options : LiveOptions
        Legging policy, reconciliation interval, settle time.
    on_mismatch : callable, optional
        Called with every reconciliation report that found a difference (the alert).
    log : callable, optional
        Receives the one-line summaries (sessions, reconciliation reports).

    Returns
    -------
    LiveRunResult
        Orders, fills recorded in the run, reconciliation reports, legged pairs, trading state.
    """
    say = log or (lambda _line: None)
    reconciler = Reconciler(broker, ledger, instruments=inputs.instruments, interval=options.reconcile_interval)
    reconciler.listeners.append(lambda report: say(report.text()))
    if on_mismatch is not None:
        reconciler.listeners.append(lambda report: on_mismatch(report) if report.differences else None)
    broker.after_connect.append(reconciler.run)

    def wait(seconds: float) -> None:
        broker.poll(seconds)
        reconciler.maybe_run()

    fills_before = len(ledger.fills_frame())
    frames, sequencer = [], _sequencer(broker, ledger, inputs, wait, options)
    try:
        broker.connect()  # reconciliation on connect (the hook), before any order
        for day in sessions:
            frames.append(execute_sessions(broker, ledger, inputs, [day], say, sequencer=sequencer).orders)
            wait(0.0)
        _settle(ledger, inputs.strategy_id, wait, options)
        reconciler.run()  # closing cycle: the run ends with the ledger checked against the venue
    finally:
        broker.disconnect()
        broker.after_connect.remove(reconciler.run)
    orders = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ORDER_COLUMNS)
    return LiveRunResult(SessionsResult(orders, 0), len(ledger.fills_frame()) - fills_before,
                         list(reconciler.reports), list(sequencer.results),
                         ledger.trading_state(inputs.strategy_id).describe())
