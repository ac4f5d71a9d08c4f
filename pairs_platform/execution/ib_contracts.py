"""Pure mapping between our instruments/orders and IB contracts/orders (no ib library needed).

- Equities: ``STK`` on ``SMART`` (``BRK.B`` -> ``BRK B``).
- Futures: ``FUT`` on the instrument table's exchange, for a dated contract: the month comes from an
  explicit ``contract_month`` or from the table's ``roll_rule`` (the front contract on the order's
  ``as_of``, :func:`pairs_platform.data.futures.front_contract`), with IB's local symbol
  (``CLG4`` for ``CLG2024``).
- Crypto: ``CRYPTO`` on ``PAXOS``; market buys are refused (IB takes them only by cash amount).
- Fixed income and unknown classes are refused with the instrument and the reason.

Lot and tick sizes of the instrument table hold on every order: a quantity that is not a whole
number of lots is refused; a limit price is rounded to the tick in the passive direction
(buys down, sells up), so rounding never makes an order more aggressive.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable, Mapping

import pandas as pd

from pairs_platform.data.futures import front_contract
from pairs_platform.data.instruments import MONTH_CODES
from pairs_platform.execution.broker import Order, OrderType, Side
from pairs_platform.execution.errors import ExecutionInputError

CRYPTO_EXCHANGE = "PAXOS"
_FRACTIONAL_CLASSES = {"CRYPTO"}
_LOT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class IBContractSpec:
    """Fields of an IB ``Contract`` (names as IB spells them)."""

    secType: str
    symbol: str
    exchange: str
    currency: str
    lastTradeDateOrContractMonth: str = ""
    multiplier: str = ""
    localSymbol: str = ""

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
    account: str = ""

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``ib_async.Order`` (lmtPrice only for limit orders)."""
        return {k: v for k, v in asdict(self).items() if v is not None and v != ""}


def split_id(instrument_id: str) -> tuple[str, str]:
    """``("FUT", "CL")`` for ``"FUT:CL"``; raises for ids that are not CLASS:SYMBOL."""
    prefix, sep, symbol = instrument_id.partition(":")
    if not sep or not symbol:
        raise ExecutionInputError(
            f"instrument id {instrument_id!r} is not CLASS:SYMBOL (e.g. 'EQ:KO', 'FUT:CL')")
    return prefix, symbol


def instrument_row(instrument_id: str, instruments: pd.DataFrame | None) -> Mapping[str, Any]:
    """The instrument table's row as a dict ({} without a table or row)."""
    if instruments is None or instrument_id not in instruments.index:
        return {}
    return {k: v for k, v in instruments.loc[instrument_id].to_dict().items()
            if not (isinstance(v, float) and math.isnan(v)) and v is not pd.NA}


def futures_month(instrument_id: str, roll_rule: str, as_of: object) -> tuple[str, str]:
    """``(YYYYMM, local symbol)`` of the front contract on ``as_of`` under ``roll_rule``."""
    symbol = split_id(instrument_id)[1]
    code = str(front_contract([pd.Timestamp(as_of)], symbol, roll_rule)[0])  # e.g. CLG2024
    month, year = MONTH_CODES.index(code[len(symbol)]) + 1, code[len(symbol) + 1:]
    return f"{year}{month:02d}", f"{symbol}{code[len(symbol)]}{year[-1]}"


def _futures_spec(instrument_id: str, symbol: str, row: Mapping[str, Any], currency: str,
                  contract_month: str | None, as_of: object | None) -> IBContractSpec:
    exchange = str(row.get("exchange") or "")
    if not exchange:
        raise ExecutionInputError(
            f"{instrument_id}: IB futures need the exchange from the instrument table; "
            "pass instruments= with an 'exchange' for this id")
    local = ""
    if not contract_month and row.get("roll_rule") and as_of is not None:
        contract_month, local = futures_month(instrument_id, str(row["roll_rule"]), as_of)
    if not contract_month:
        raise ExecutionInputError(
            f"{instrument_id}: IB needs the contract month of the future to trade; give the "
            "instrument table a roll_rule (front contract on the order's date) or pass "
            f"contract_months={{'{instrument_id}': 'YYYYMM'}} (the contract being held)")
    multiplier = row.get("multiplier")
    mult = "" if multiplier is None else f"{float(multiplier):g}"
    return IBContractSpec("FUT", symbol, exchange, currency, str(contract_month), mult, local)


def contract_spec(instrument_id: str, instruments: pd.DataFrame | None = None,
                  contract_month: str | None = None, as_of: object | None = None) -> IBContractSpec:
    """IB contract for an instrument id: STK/SMART, FUT (dated) on its exchange, CRYPTO/PAXOS.

    Raises :class:`ExecutionInputError` naming the instrument and why IB cannot trade it.
    """
    prefix, symbol = split_id(instrument_id)
    row = instrument_row(instrument_id, instruments)
    symbol = str(row.get("symbol") or symbol)
    currency = str(row.get("currency") or "USD")
    if prefix == "EQ":
        return IBContractSpec("STK", symbol.replace(".", " "), "SMART", currency)
    if prefix == "FUT":
        return _futures_spec(instrument_id, symbol, row, currency, contract_month, as_of)
    if prefix == "CRYPTO":
        base, _, quote = symbol.partition("-")
        return IBContractSpec("CRYPTO", base, CRYPTO_EXCHANGE, quote or currency)
    raise ExecutionInputError(
        f"{instrument_id}: asset class {prefix!r} cannot be routed to IB by this adapter; "
        "trade fixed income through its futures (e.g. FUT:ZN for 10-year Treasuries)")


def _check_lot(order: Order, lot: float) -> None:
    lots = order.quantity / lot
    if abs(lots - round(lots)) > _LOT_TOLERANCE * max(1.0, lots):
        raise ExecutionInputError(
            f"order {order.client_order_id} ({order.instrument_id}, as_of {order.as_of}): quantity "
            f"{order.quantity:g} is not a whole number of lots of {lot:g} (instrument table "
            "lot_size); round the target units to the lot")


def passive_tick_price(price: float, tick: float, side: Side) -> float:
    """``price`` on the tick grid, rounded down for buys and up for sells."""
    steps = price / tick
    steps = math.floor(steps + 1e-9) if side is Side.BUY else math.ceil(steps - 1e-9)
    return round(steps * tick, 10)


def order_spec(order: Order, instruments: pd.DataFrame | None = None, account: str = "") -> IBOrderSpec:
    """IB order fields for ``order``; ``orderRef`` is the client order id (dedup key)."""
    prefix, _ = split_id(order.instrument_id)
    row = instrument_row(order.instrument_id, instruments)
    quantity = float(order.quantity)
    if prefix not in _FRACTIONAL_CLASSES and not quantity.is_integer():
        raise ExecutionInputError(
            f"order {order.client_order_id} ({order.instrument_id}, as_of {order.as_of}): IB "
            f"takes whole units for this asset class, got {quantity}; round the target units")
    if row.get("lot_size"):
        _check_lot(order, float(row["lot_size"]))
    is_limit = order.order_type is OrderType.LIMIT
    if prefix == "CRYPTO" and not is_limit and order.side is Side.BUY:
        raise ExecutionInputError(
            f"order {order.client_order_id} ({order.instrument_id}): IB takes crypto market "
            "buys only by cash amount; send a limit order (order_type='limit', limit_price=...)")
    price = order.limit_price if is_limit else None
    if price is not None and row.get("tick_size"):
        price = passive_tick_price(price, float(row["tick_size"]), order.side)
    return IBOrderSpec(
        action="BUY" if order.side is Side.BUY else "SELL",
        totalQuantity=quantity if prefix in _FRACTIONAL_CLASSES else int(quantity),
        orderType="LMT" if is_limit else "MKT", orderRef=order.client_order_id,
        tif="IOC" if prefix == "CRYPTO" and not is_limit else "DAY", lmtPrice=price, account=account)


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
