"""The one broker protocol (paper and live) and the value objects that cross it.

Every broker (``PaperBroker``, ``IBBroker``, ...) implements :class:`Broker`. Orders carry a
deterministic ``client_order_id`` (see :func:`make_client_order_id`) that brokers use to
deduplicate retries: submitting the same ``client_order_id`` twice must never create two
orders at the broker.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Mapping, Protocol, runtime_checkable

import pandas as pd

from pairs_platform.execution.errors import ExecutionInputError


class Side(StrEnum):
    """Order side."""

    BUY = "buy"
    SELL = "sell"


class OrderType(StrEnum):
    """Order type: market (fills at the next price) or limit."""

    MARKET = "market"
    LIMIT = "limit"


class OrderStatus(StrEnum):
    """Order lifecycle: pending -> submitted -> filled, or -> cancelled / rejected."""

    PENDING = "pending"      # recorded in the ledger, not (yet) acknowledged by the broker
    SUBMITTED = "submitted"  # acknowledged by the broker, working
    FILLED = "filled"
    CANCELLED = "cancelled"
    REJECTED = "rejected"


OPEN_STATUSES: tuple[OrderStatus, ...] = (OrderStatus.PENDING, OrderStatus.SUBMITTED)
FINAL_STATUSES: tuple[OrderStatus, ...] = (
    OrderStatus.FILLED, OrderStatus.CANCELLED, OrderStatus.REJECTED,
)


def to_date(value: object, field: str = "as_of") -> dt.date:
    """Normalize a date-like value (date, datetime, Timestamp, ISO string) to ``datetime.date``."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise ExecutionInputError(
            f"{field}={value!r} is not a date; pass a datetime.date, pd.Timestamp or 'YYYY-MM-DD'"
        ) from exc
    if pd.isna(stamp):
        raise ExecutionInputError(f"{field} is missing (NaT); pass the trading date it refers to")
    return stamp.date()


def make_client_order_id(strategy_id: str, as_of: object, instrument_id: str, bar: object | None = None) -> str:
    """Deterministic order id: a stable hash of (strategy_id, as_of date, instrument_id[, bar]).

    The same inputs give the same id in every process and on every machine, which is what
    makes re-running a rebalance idempotent (the ledger holds it UNIQUE; IB gets it as
    ``orderRef``). ``bar`` (intraday trading): the tz-aware end time of the bar the order was
    decided at, so each bar of a session has its own ids; daily ids (``bar`` None) are unchanged.
    """
    key = f"{strategy_id}|{to_date(as_of).isoformat()}|{instrument_id}"
    if bar is not None:
        stamp = pd.Timestamp(bar)
        if stamp.tz is None:
            raise ExecutionInputError(f"bar={bar!r} must be a tz-aware bar end time (e.g. UTC) for {instrument_id}")
        key += f"|{stamp.tz_convert('UTC').isoformat()}"
    return "pp-" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Order:
    """An order as the order manager creates it; ``quantity`` is positive, ``side`` gives sign."""

    client_order_id: str
    strategy_id: str
    as_of: dt.date
    instrument_id: str
    side: Side
    quantity: float
    order_type: OrderType = OrderType.MARKET
    limit_price: float | None = None
    reference_price: float | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "as_of", to_date(self.as_of))
        object.__setattr__(self, "side", Side(self.side))
        object.__setattr__(self, "order_type", OrderType(self.order_type))
        where = f"order {self.client_order_id} ({self.instrument_id}, as_of {self.as_of})"
        if not (math.isfinite(self.quantity) and self.quantity > 0):
            raise ExecutionInputError(
                f"{where}: quantity={self.quantity!r} must be a finite number > 0; "
                "use side='sell' for a negative delta"
            )
        if self.order_type is OrderType.LIMIT:
            if self.limit_price is None or not (
                math.isfinite(self.limit_price) and self.limit_price > 0
            ):
                raise ExecutionInputError(f"{where}: a limit order needs a limit_price > 0")
        elif self.limit_price is not None:
            raise ExecutionInputError(f"{where}: a market order must not carry a limit_price")

    @property
    def signed_quantity(self) -> float:
        """Quantity with sign: + for buy, - for sell."""
        return self.quantity if self.side is Side.BUY else -self.quantity


@dataclass(frozen=True)
class OrderAck:
    """A broker's answer to submit/cancel; ``status`` is an :class:`OrderStatus` value."""

    client_order_id: str
    status: OrderStatus
    broker_order_id: str | None = None
    message: str = ""


@dataclass(frozen=True)
class Fill:
    """One execution; ``quantity`` is positive, ``side`` gives the sign.

    ``slippage_cost`` is the money lost against the reference price:
    ``|fill price - reference price| * quantity * multiplier``.
    """

    fill_id: str
    client_order_id: str
    strategy_id: str
    instrument_id: str
    date: dt.date
    side: Side
    quantity: float
    price: float
    commission: float
    slippage_cost: float

    @property
    def signed_quantity(self) -> float:
        """Quantity with sign: + for buy, - for sell."""
        return self.quantity if self.side is Side.BUY else -self.quantity


@dataclass(frozen=True)
class OpenOrder:
    """A working order as the broker reports it (for reconciliation)."""

    client_order_id: str
    instrument_id: str
    side: Side
    remaining_quantity: float
    broker_order_id: str | None = None


@runtime_checkable
class Broker(Protocol):
    """What every broker (paper or live) offers. One protocol, many implementations.

    ``submit`` must be idempotent on ``order.client_order_id``: a retry of an order the broker
    already knows returns the existing acknowledgement and creates nothing new.
    """

    name: str

    def submit(self, order: Order) -> OrderAck:
        """Send ``order``; return the broker's acknowledgement (submitted / rejected / filled)."""
        ...

    def cancel(self, client_order_id: str) -> OrderAck:
        """Cancel a working order by its client order id."""
        ...

    def open_orders(self) -> list[OpenOrder]:
        """Orders the broker still works on."""
        ...

    def positions(self) -> Mapping[str, float]:
        """Net position per instrument id for the whole account."""
        ...

    def on_prices(self, date: object, prices: Mapping[str, float] | pd.Series) -> list[Fill]:
        """Tell the broker a session's prices; return the fills they caused (may be empty)."""
        ...
