"""Interactive Brokers adapter behind the one broker protocol.

Uses ``ib_async`` (the maintained fork) if importable, else ``ib_insync``; both are optional
(``pip install -e .[ib]``) and imported lazily, so this module imports without them. The
mapping from our orders to IB contracts/orders is pure and tested without either library.

Every IB order carries ``orderRef = client_order_id``; before placing, the adapter looks for
that ref among the broker's open trades and today's executions, so a retried submit is
deduplicated at the broker too. Live trading is enabled only by the environment
(:mod:`live_guard`): every connection and every order-changing call checks
``PAIRS_LIVE_TRADING_ENABLED`` and that the gateway's managed account is in ``IB_ACCOUNT``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from types import ModuleType
from typing import Any, Iterable, Mapping

import pandas as pd

from pairs_platform.execution.broker import (
    Fill, OpenOrder, Order, OrderAck, OrderStatus, OrderType, Side,
)
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.live_guard import (
    IBSettings, ensure_account_allowed, ensure_live_enabled,
)

CRYPTO_EXCHANGE = "PAXOS"
_FRACTIONAL_CLASSES = {"CRYPTO"}


def import_ib_library() -> ModuleType:
    """``ib_async`` if installed, else ``ib_insync``, else a clear ImportError."""
    for name in ("ib_async", "ib_insync"):
        try:
            return __import__(name)
        except ImportError:
            continue
    raise ImportError(
        "IBBroker needs the ib_async library: pip install -e .[ib]  "
        "(or .[ib-legacy] for ib_insync; install one of them, never both)")


@dataclass(frozen=True)
class IBContractSpec:
    """Fields of an IB ``Contract`` (names as IB spells them)."""

    secType: str
    symbol: str
    exchange: str
    currency: str
    lastTradeDateOrContractMonth: str = ""
    multiplier: str = ""

    def kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``ib_async.Contract`` (empty fields left out)."""
        return {k: v for k, v in asdict(self).items() if v != ""}


@dataclass(frozen=True)
class IBOrderSpec:
    """Fields of an IB ``Order`` (names as IB spells them)."""

    action: str
    totalQuantity: float
    orderType: str
    orderRef: str
    tif: str
    lmtPrice: float | None = None

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``ib_async.Order`` (lmtPrice only for limit orders)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def _split_id(instrument_id: str) -> tuple[str, str]:
    prefix, sep, symbol = instrument_id.partition(":")
    if not sep or not symbol:
        raise ExecutionInputError(
            f"instrument id {instrument_id!r} is not CLASS:SYMBOL (e.g. 'EQ:KO', 'FUT:CL')")
    return prefix, symbol


def _row(instrument_id: str, instruments: pd.DataFrame | None) -> Mapping[str, Any]:
    if instruments is None or instrument_id not in instruments.index:
        return {}
    return instruments.loc[instrument_id].to_dict()


def contract_spec(instrument_id: str, instruments: pd.DataFrame | None = None,
                  contract_month: str | None = None) -> IBContractSpec:
    """IB contract for an instrument id: STK/SMART, FUT on its exchange, CRYPTO/PAXOS.

    Futures need the instrument table (for the exchange) and ``contract_month``
    ('YYYYMM' or 'YYYYMMDD') because IB routes orders to a dated contract, never to a
    continuous series. Fixed-income ids are refused: trade them through their futures.
    """
    prefix, symbol = _split_id(instrument_id)
    row = _row(instrument_id, instruments)
    symbol = str(row.get("symbol") or symbol)
    currency = str(row.get("currency") or "USD")
    if prefix == "EQ":
        return IBContractSpec("STK", symbol.replace(".", " "), "SMART", currency)
    if prefix == "FUT":
        exchange = str(row.get("exchange") or "")
        if not exchange:
            raise ExecutionInputError(
                f"{instrument_id}: IB futures need the exchange from the instrument table; "
                "pass instruments= with an 'exchange' for this id")
        if not contract_month:
            raise ExecutionInputError(
                f"{instrument_id}: IB needs the contract month of the future to trade; pass "
                f"contract_months={{'{instrument_id}': 'YYYYMM'}} (the contract being held)")
        multiplier = row.get("multiplier")
        mult = "" if multiplier is None or pd.isna(multiplier) else f"{float(multiplier):g}"
        return IBContractSpec("FUT", symbol, exchange, currency, str(contract_month), mult)
    if prefix == "CRYPTO":
        base, _, quote = symbol.partition("-")
        return IBContractSpec("CRYPTO", base, CRYPTO_EXCHANGE, quote or currency)
    raise ExecutionInputError(
        f"{instrument_id}: asset class {prefix!r} cannot be routed to IB by this adapter; "
        "trade fixed income through its futures (e.g. FUT:ZN for 10-year Treasuries)")


def order_spec(order: Order) -> IBOrderSpec:
    """IB order fields for ``order``; ``orderRef`` is the client order id (dedup key)."""
    prefix, _ = _split_id(order.instrument_id)
    quantity = float(order.quantity)
    if prefix not in _FRACTIONAL_CLASSES and not float(quantity).is_integer():
        raise ExecutionInputError(
            f"order {order.client_order_id} ({order.instrument_id}, as_of {order.as_of}): IB "
            f"takes whole units for this asset class, got {quantity}; round the target units")
    is_limit = order.order_type is OrderType.LIMIT
    if prefix == "CRYPTO" and not is_limit and order.side is Side.BUY:
        raise ExecutionInputError(
            f"order {order.client_order_id} ({order.instrument_id}): IB takes crypto market "
            "buys only by cash amount; send a limit order (order_type='limit', limit_price=...)")
    tif = "IOC" if prefix == "CRYPTO" and not is_limit else "DAY"
    return IBOrderSpec(
        action="BUY" if order.side is Side.BUY else "SELL",
        totalQuantity=quantity if prefix in _FRACTIONAL_CLASSES else int(quantity),
        orderType="LMT" if is_limit else "MKT", orderRef=order.client_order_id, tif=tif,
        lmtPrice=order.limit_price if is_limit else None,
    )


def instrument_id_for_contract(contract: Any) -> str:
    """Our instrument id for an IB contract (inverse of :func:`contract_spec`)."""
    sec_type, symbol = contract.secType, str(contract.symbol)
    if sec_type == "STK":
        return f"EQ:{symbol.replace(' ', '.')}"
    if sec_type == "FUT":
        return f"FUT:{symbol}"
    if sec_type == "CRYPTO":
        return f"CRYPTO:{symbol}-{contract.currency}"
    return f"{sec_type}:{symbol}"


def find_by_order_ref(items: Iterable[Any], client_order_id: str) -> Any | None:
    """First trade (``.order.orderRef``) or execution (``.orderRef``) with this ref."""
    for item in items:
        holder = getattr(item, "order", None) or getattr(item, "execution", None) or item
        if getattr(holder, "orderRef", None) == client_order_id:
            return item
    return None


class IBBroker:
    """IB TWS / Gateway broker; refuses to connect or send unless the environment enables live
    trading and the gateway's account is allowlisted (see :mod:`live_guard`)."""

    name = "ib"

    def __init__(self, *, instruments: pd.DataFrame | None = None,
                 contract_months: Mapping[str, str] | None = None,
                 settings: IBSettings = IBSettings(), ib: Any | None = None,
                 timeout: float = 10.0) -> None:
        self._lib = import_ib_library()
        self.instruments = instruments
        self.contract_months = dict(contract_months or {})
        self.settings, self.timeout = settings, timeout
        self.account: str | None = None
        self._ib = ib

    @property
    def ib(self) -> Any:
        """The connected ``IB`` client: checks the guard before connecting and the reported
        account after connecting (before any order)."""
        ensure_live_enabled()
        if self._ib is None:
            self._ib = self._lib.IB()
        if not self._ib.isConnected():
            self.account = None
            self._ib.connect(self.settings.host, self.settings.port,
                             clientId=self.settings.client_id, timeout=self.timeout)
        if self.account is None:
            self.account = ensure_account_allowed(self._ib.managedAccounts())
        return self._ib

    def submit(self, order: Order) -> OrderAck:
        """Place ``order`` unless a trade or execution with its orderRef already exists."""
        ensure_live_enabled()
        coid = order.client_order_id
        trade = find_by_order_ref(self.ib.openTrades(), coid)
        if trade is not None:
            return OrderAck(coid, OrderStatus.SUBMITTED, str(trade.order.orderId), "already working at IB")
        if find_by_order_ref(self.ib.reqExecutions(), coid) is not None:
            return OrderAck(coid, OrderStatus.FILLED, None, "already executed at IB")
        month = self.contract_months.get(order.instrument_id)
        contract = self._lib.Contract(**contract_spec(order.instrument_id, self.instruments, month).kwargs())
        placed = self.ib.placeOrder(contract, self._lib.Order(**order_spec(order).kwargs()))
        return OrderAck(coid, OrderStatus.SUBMITTED, str(placed.order.orderId))

    def cancel(self, client_order_id: str) -> OrderAck:
        """Cancel the working IB order whose orderRef is ``client_order_id``."""
        ensure_live_enabled()
        trade = find_by_order_ref(self.ib.openTrades(), client_order_id)
        if trade is None:
            return OrderAck(client_order_id, OrderStatus.REJECTED, None, "no working IB order with this orderRef")
        self.ib.cancelOrder(trade.order)
        return OrderAck(client_order_id, OrderStatus.CANCELLED, str(trade.order.orderId))

    def open_orders(self) -> list[OpenOrder]:
        """IB open trades placed by this platform (those with an orderRef)."""
        out = []
        for trade in self.ib.openTrades():
            if not trade.order.orderRef:
                continue
            side = Side.BUY if trade.order.action == "BUY" else Side.SELL
            remaining = float(trade.orderStatus.remaining)
            out.append(OpenOrder(trade.order.orderRef, instrument_id_for_contract(trade.contract),
                                 side, remaining if math.isfinite(remaining) else 0.0,
                                 str(trade.order.orderId)))
        return out

    def positions(self) -> dict[str, float]:
        """Account positions per instrument id."""
        return {instrument_id_for_contract(p.contract): float(p.position)
                for p in self.ib.positions() if float(p.position) != 0}

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
