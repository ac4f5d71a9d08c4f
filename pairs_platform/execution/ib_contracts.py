"""Order side of the IB mapping: our orders -> IB order fields (no ib library needed).

The contract side (instrument -> IB contract, futures month, crypto venue) is
:mod:`pairs_platform.ibkr.contracts`, shared with the IB price source; :func:`order_specs` gives
both for one order and reports an instrument IB cannot take as :class:`ExecutionInputError`.

- Crypto: market buys are refused (IB takes them only by cash amount); market sells go ``IOC``.
- Lot and tick sizes of the instrument table hold on every order: a quantity that is not a whole
  number of lots is refused; a limit price is rounded to the tick in the passive direction
  (buys down, sells up), so rounding never makes an order more aggressive.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Iterable

import pandas as pd

from pairs_platform.execution.broker import Order, OrderType, Side
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.ibkr.contracts import (
    IBContractError, IBContractSpec, contract_spec, instrument_row, split_id,
)

_FRACTIONAL_CLASSES = {"CRYPTO"}
_LOT_TOLERANCE = 1e-9


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


def order_specs(order: Order, instruments: pd.DataFrame | None = None, contract_month: str | None = None,
                account: str = "") -> tuple[IBContractSpec, IBOrderSpec]:
    """The IB contract and order fields of ``order`` (the broker's one mapping call).

    Raises
    ------
    ExecutionInputError
        For an instrument IB cannot be given a contract for (the contract mapping's message), or
        an order IB would reject (see :func:`order_spec`).
    """
    try:
        contract = contract_spec(order.instrument_id, instruments, contract_month, order.as_of)
    except IBContractError as exc:
        raise ExecutionInputError(f"order {order.client_order_id}: {exc}") from exc
    return contract, order_spec(order, instruments, account)


def find_by_order_ref(items: Iterable[Any], client_order_id: str) -> Any | None:
    """First trade (``.order.orderRef``) or execution (``.orderRef``) with this ref."""
    for item in items:
        holder = getattr(item, "order", None) or getattr(item, "execution", None) or item
        if getattr(holder, "orderRef", None) == client_order_id:
            return item
    return None
