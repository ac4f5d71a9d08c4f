"""Interactive Brokers adapter behind the one broker protocol (built only by ``make_broker``).

Uses ``ib_async`` (the maintained fork) if importable, else ``ib_insync``, through the same code;
both optional (``pip install -e .[ib]``) and imported lazily (:mod:`pairs_platform.ibkr.client`,
with the connection settings). Contract mapping is :mod:`pairs_platform.ibkr.contracts`, the order
mapping :mod:`ib_contracts`, the error policy in :mod:`ib_errors`, fills in :mod:`ib_fills`.

Guarantees:

- live only by environment: every connection and order-changing call checks
  ``PAIRS_LIVE_TRADING_ENABLED``; after connecting, the gateway's managed accounts must be in the
  ``IB_ACCOUNT`` allowlist, and every order is sent for that account;
- ``submit`` is idempotent on ``orderRef = client_order_id`` (looks in the gateway's working
  orders and executions first) and returns ``submitted`` only once the gateway acknowledged the
  order (an ``orderStatus`` of PreSubmitted/Submitted/Filled, a fill, or a 404 hold); a
  disconnect or timeout before that raises :class:`IBNotAcknowledged` and the ledger keeps the
  order ``pending`` (the next run reconnects and finds or resubmits it under the same ref);
- an order ends only by our error table (:mod:`ib_errors`), its fills, or a confirmed cancel;
- every execution becomes one ledger fill (by execId), live or replayed after a restart;
- ``cancel`` waits for the gateway's confirmation (202) or the order's completion.
"""
from __future__ import annotations

import logging
import time
from collections import defaultdict
from typing import Any, Callable, Mapping

import pandas as pd

from pairs_platform.execution.broker import Fill, OpenOrder, Order, OrderAck, OrderStatus, Side
from pairs_platform.execution.ib_contracts import find_by_order_ref, order_specs
from pairs_platform.execution.ib_errors import IBErrorAction, classify, is_known
from pairs_platform.execution.ib_fills import ExecutionReport, FillRecorder, execution_report
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.ledger_state import TradingState
from pairs_platform.execution.live_guard import ensure_account_allowed, ensure_live_enabled
from pairs_platform.ibkr.client import IBSettings, import_ib_library
from pairs_platform.ibkr.contracts import instrument_id_for_contract

log = logging.getLogger(__name__)

ACK_STATUSES = frozenset({"PreSubmitted", "Submitted", "Filled"})  # only the gateway sends these
DONE_STATUSES = frozenset({"Filled", "Cancelled", "ApiCancelled", "Inactive"})
ADAPTER = "ib-adapter"
RESUME_HINT = 'pairs-platform resume --reason "<why it is safe again>"'


class TradingHaltedError(RuntimeError):
    """Trading is HALTED (e.g. IB 1100, a reconciliation difference) at the moment an order would
    go out; the order stays ``pending`` and goes out on a later run after ``resume``."""


class IBNotAcknowledged(RuntimeError):
    """The gateway did not acknowledge an order or cancel in time (or the connection dropped);
    the ledger keeps the order as it was (``pending`` for a submit)."""


class IBBroker:
    """IB TWS / Gateway broker writing fills to ``ledger``; see the module docstring."""

    name = "ib"

    def __init__(self, ledger: Ledger, *, instruments: pd.DataFrame | None = None,
                 contract_months: dict[str, str] | None = None,
                 settings: IBSettings = IBSettings(), timeout: float = 10.0,
                 commission_grace: float = 30.0) -> None:
        self._lib = import_ib_library()
        self.ledger, self.instruments = ledger, instruments
        self.contract_months = dict(contract_months or {})
        self.settings, self.timeout, self.commission_grace = settings, timeout, commission_grace
        self.account: str | None = None
        self.fills = FillRecorder(ledger, instruments)
        self.after_connect: list[Callable[[], object]] = []   # e.g. Reconciler.run
        self.codes: dict[int, list[tuple[int, str]]] = defaultdict(list)  # orderId -> IB codes
        self._acked: set[int] = set()
        self._resync = False
        self._ib: Any = None

    # ---- connection ----------------------------------------------------------------
    @property
    def ib(self) -> Any:
        """The connected client: guard before connecting, account allowlist after, then the
        connect hooks (reconciliation) and the fills replayed by the gateway."""
        ensure_live_enabled()
        if self._ib is None:
            self._ib = self._lib.IB()
            self._ib.RequestTimeout = self.timeout
            self._install_handlers(self._ib)
        if not self._ib.isConnected():
            self.account = None
            self._ib.connect(self.settings.host, self.settings.port,
                             clientId=self.settings.client_id, timeout=self.timeout)
            try:
                self.account = ensure_account_allowed(self._ib.managedAccounts())
            except Exception:
                self._ib.disconnect()  # never stay connected to a gateway we may not trade on
                raise
            self._after_connect()
        return self._ib

    def connect(self) -> str:
        """Connect now (live guard, account allowlist, then the connect hooks, e.g. reconciliation);
        returns the account orders go to. A no-op when already connected."""
        self.ib  # noqa: B018  (the property connects)
        return str(self.account)

    def _after_connect(self) -> None:
        self._resync = False
        self.sync_fills()
        for hook in self.after_connect:
            hook()

    def _install_handlers(self, ib: Any) -> None:
        ib.errorEvent += self._on_error
        ib.orderStatusEvent += self._on_status
        ib.commissionReportEvent += self._on_commission

    def ib_connected(self) -> bool:
        """True while a client connection is open (no connection attempt)."""
        return self._ib is not None and self._ib.isConnected()

    def disconnect(self) -> None:
        """Close the connection (the next call reconnects)."""
        if self._ib is not None and self._ib.isConnected():
            self._ib.disconnect()

    def poll(self, seconds: float = 0.0) -> list[ExecutionReport]:
        """Let the client process messages for ``seconds``, resubscribe/reconcile after 1101/1102,
        and record fills; returns the fills newly written to the ledger. A connection lost while
        waiting is re-opened at once (the connect hooks reconcile; the gateway replays the fills)."""
        ib = self.ib
        if seconds > 0:
            try:
                ib.sleep(seconds)
            except ConnectionError as exc:
                log.warning("IB connection lost while waiting (%s); reconnecting", exc)
                ib = self.ib
        if self._resync:  # 1101/1102: resubscribe, replay the day's executions, reconcile
            ib.reqPositions()
            ib.reqExecutions()
            self._after_connect()
        return self.sync_fills()

    # ---- events ----------------------------------------------------------------------
    def _on_error(self, req_id: int, code: int, text: str, *_args: object) -> None:
        action = classify(code)
        coid = self._coid(req_id)
        where = f"IB {code} (reqId {req_id}{', order ' + coid if coid else ''}): {text}"
        if action is IBErrorAction.LOG:
            (log.info if is_known(code) else log.warning)(
                "%s%s", where, "" if is_known(code) else " [unknown code: logged only, order kept]")
            return
        log.warning("%s -> %s", where, action.value)
        if req_id >= 0:
            self.codes[req_id].append((code, text))
        if action is IBErrorAction.HALT:
            self.ledger.set_trading_state(
                TradingState.HALTED, ADAPTER,
                f"IB {code} connectivity lost: {text}; no new orders until checked; {RESUME_HINT}")
        elif action is IBErrorAction.RESYNC:
            self._resync = True
        elif action is IBErrorAction.REJECT and coid:
            self.ledger.mark_rejected(coid, f"IB {code}: {text}")
        elif action is IBErrorAction.CANCELLED and coid:
            self.ledger.mark_cancelled(coid, f"IB {code}: {text}")

    def _on_status(self, trade: Any) -> None:
        if trade.orderStatus.status in ACK_STATUSES:
            self._acked.add(trade.order.orderId)

    def _on_commission(self, trade: Any, ib_fill: Any, _report: Any) -> None:
        self.fills.record(execution_report(ib_fill, instrument_id_for_contract(ib_fill.contract)))

    def _coid(self, order_id: int) -> str:
        for trade in self._ib.trades() if self._ib is not None else []:
            if trade.order.orderId == order_id:
                return str(trade.order.orderRef or "")
        return ""

    # ---- fills -------------------------------------------------------------------------
    def execution_reports(self) -> list[ExecutionReport]:
        """Every execution the client holds (live and replayed), as reports."""
        return [execution_report(f, instrument_id_for_contract(f.contract)) for f in self.ib.fills()]

    def sync_fills(self) -> list[ExecutionReport]:
        """Record the client's executions in the ledger (once each); an execution waits for its
        commission report up to ``commission_grace`` seconds, then is recorded with 0."""
        now = time.time()
        new = []
        for report in self.execution_reports():
            late = report.time is not None and now - report.time.timestamp() > self.commission_grace
            if self.fills.record(report, allow_missing_commission=late):
                new.append(report)
        return new

    # ---- orders ------------------------------------------------------------------------
    def _working(self) -> list[Any]:
        """Trades placed by this platform that are still working by OUR policy (ib_async's
        own 'Cancelled' after an unknown code is ignored)."""
        out = []
        for trade in self.ib.trades():
            order_id = trade.order.orderId
            if not trade.order.orderRef or any(classify(c) in (IBErrorAction.REJECT, IBErrorAction.CANCELLED)
                                               for c, _ in self.codes.get(order_id, [])):
                continue
            if trade.orderStatus.status in ("Filled", "Inactive") or trade.remaining() <= 0:
                continue
            out.append(trade)
        return out

    def submit(self, order: Order) -> OrderAck:
        """Place ``order`` unless the gateway already has it (by orderRef); wait for the ack."""
        ensure_live_enabled()
        coid = order.client_order_id
        ib = self.ib  # connecting runs the connect hooks (reconciliation) first
        trade = find_by_order_ref(self._working(), coid)
        if trade is not None:
            return OrderAck(coid, OrderStatus.SUBMITTED, str(trade.order.orderId), "already working at IB")
        if find_by_order_ref(ib.fills(), coid) is not None:
            self.ledger.mark_submitted(coid, self.name, None)
            self.sync_fills()
            return OrderAck(coid, OrderStatus.FILLED, None, "already executed at IB")
        state = self.ledger.trading_state(order.strategy_id)
        if state.state is TradingState.HALTED:
            raise TradingHaltedError(f"order {coid} ({order.instrument_id}) not sent: trading "
                                     f"{state.describe()}; it stays pending")
        month = self.contract_months.get(order.instrument_id)
        spec, order_fields = order_specs(order, self.instruments, month, self.account or "")
        ib_order = self._lib.Order(**order_fields.kwargs())
        trade = ib.placeOrder(self._lib.Contract(**spec.kwargs()), ib_order)
        ack = self._await(trade, coid, lambda: trade.order.orderId in self._acked or bool(trade.fills),
                          "placing")
        self.sync_fills()
        return ack

    def _await(self, trade: Any, coid: str, done: Callable[[], bool], doing: str) -> OrderAck:
        order_id = trade.order.orderId
        deadline = time.monotonic() + self.timeout
        while True:
            for code, text in self.codes.get(order_id, []):
                action = classify(code)
                if action is IBErrorAction.REJECT:
                    return OrderAck(coid, OrderStatus.REJECTED, str(order_id), f"IB {code}: {text}")
                if action is IBErrorAction.CANCELLED:
                    return OrderAck(coid, OrderStatus.CANCELLED, str(order_id), f"IB {code}: {text}")
                if action is IBErrorAction.HOLD and doing == "placing":
                    return OrderAck(coid, OrderStatus.SUBMITTED, str(order_id), f"held: IB {code}: {text}")
            if done():
                return OrderAck(coid, OrderStatus.SUBMITTED, str(order_id))
            remaining = deadline - time.monotonic()
            dropped = not self._ib.isConnected()
            if not dropped and remaining > 0:
                try:
                    self._ib.waitOnUpdate(timeout=min(remaining, 0.5))
                    continue
                except ConnectionError:
                    dropped = True
            why = "the connection dropped" if dropped else f"no answer in {self.timeout:g}s"
            raise IBNotAcknowledged(
                f"order {coid} (IB orderId {order_id}): {why} while {doing}; the ledger keeps it "
                "as it was, the next run reconnects and finds it by orderRef (or resubmits it)")

    def cancel(self, client_order_id: str) -> OrderAck:
        """Cancel the working IB order whose orderRef is ``client_order_id``; waits for IB's
        confirmation (202) or the order's completion, raises :class:`IBNotAcknowledged` else."""
        ensure_live_enabled()
        trade = find_by_order_ref(self._working(), client_order_id)
        if trade is None:
            return OrderAck(client_order_id, OrderStatus.REJECTED, None, "no working IB order with this orderRef")
        self.ib.cancelOrder(trade.order)
        ack = self._await(trade, client_order_id, lambda: trade.remaining() <= 0, "cancelling")
        self.sync_fills()
        if ack.status is OrderStatus.SUBMITTED:  # completed by fills before the cancel landed
            return OrderAck(client_order_id, OrderStatus.FILLED, ack.broker_order_id, "filled before the cancel")
        return ack

    def cancel_all(self) -> None:
        """Global cancel (every working order of the account, also other clients')."""
        ensure_live_enabled()
        self.ib.reqGlobalCancel()
        self.ib.sleep(0.2)

    # ---- reports -----------------------------------------------------------------------
    def open_orders(self) -> list[OpenOrder]:
        """Working IB orders placed by this platform (those with an orderRef)."""
        return [OpenOrder(t.order.orderRef, instrument_id_for_contract(t.contract),
                          Side.BUY if t.order.action == "BUY" else Side.SELL,
                          float(t.remaining()), str(t.order.orderId)) for t in self._working()]

    def positions(self) -> dict[str, float]:
        """Account positions per instrument id."""
        return _positions(self.ib.positions())

    def on_prices(self, date: object, prices: Mapping[str, float] | pd.Series) -> list[Fill]:
        """Nothing to do: a live account's fills come from the gateway, not from our prices.

        Parameters
        ----------
        date : object
            The session (ignored).
        prices : Mapping or pd.Series
            Instrument -> close (ignored).

        Returns
        -------
        list of Fill
            Always empty.
        """
        return []

    def report_positions(self) -> dict[str, float]:
        """Fresh positions from the gateway (raises on timeout: reconciliation fails closed)."""
        return _positions(self.ib.reqPositions())

    def report_open_orders(self) -> list[OpenOrder]:
        """Fresh open orders from the gateway (all clients), including ones without orderRef."""
        trades = self.ib.reqAllOpenOrders()
        return [OpenOrder(str(t.order.orderRef or ""), instrument_id_for_contract(t.contract),
                          Side.BUY if t.order.action == "BUY" else Side.SELL,
                          float(t.order.totalQuantity - t.orderStatus.filled), str(t.order.orderId))
                for t in trades if t.orderStatus.status not in DONE_STATUSES]

    def report_executions(self) -> list[ExecutionReport]:
        """Fresh executions of the day from the gateway."""
        self.ib.reqExecutions()
        return self.execution_reports()


def _positions(items: Any) -> dict[str, float]:
    out: dict[str, float] = defaultdict(float)
    for p in items:
        if float(p.position) != 0:
            out[instrument_id_for_contract(p.contract)] += float(p.position)
    return dict(out)
