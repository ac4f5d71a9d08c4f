"""Paper broker: fills working orders against the NEXT price that arrives, with costs.

An order decided at ``as_of`` = t (after the close of t) cannot trade at t's close: it fills
at the first price passed to :meth:`PaperBroker.on_prices` with a date strictly after t.
Buys fill at ``price * (1 + slippage)``, sells at ``price * (1 - slippage)``; commission is
``max(min_commission, commission_per_unit * |quantity|)``. Orders, fills and positions live
in the ledger, so a paper account survives process restarts (Dagster runs).
"""
from __future__ import annotations

import math
from typing import Collection, Mapping

import pandas as pd

from pairs_platform.execution.broker import (
    Fill, OpenOrder, Order, OrderAck, OrderStatus, OrderType, Side, to_date,
)
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.ledger import Ledger, OrderRecord


def _non_negative(name: str, value: float) -> float:
    value = float(value)
    if not (math.isfinite(value) and value >= 0):
        raise ExecutionInputError(f"PaperBroker {name}={value!r} must be a finite number >= 0")
    return value


class PaperBroker:
    """Simulated broker behind the :class:`~pairs_platform.execution.broker.Broker` protocol.

    ``instruments`` (the instrument table) is optional and only supplies contract
    multipliers for the slippage cost (1.0 when absent).
    """

    name = "paper"

    def __init__(self, ledger: Ledger, commission_per_unit: float = 0.005,
                 min_commission: float = 1.0, slippage_bps: float = 5.0,
                 instruments: pd.DataFrame | None = None) -> None:
        self.ledger = ledger
        self.commission_per_unit = _non_negative("commission_per_unit", commission_per_unit)
        self.min_commission = _non_negative("min_commission", min_commission)
        self.slippage_bps = _non_negative("slippage_bps", slippage_bps)
        self._multipliers: dict[str, float] = (
            {} if instruments is None else instruments["multiplier"].astype(float).to_dict())

    def __repr__(self) -> str:
        return (f"PaperBroker({self.ledger!r}, commission_per_unit={self.commission_per_unit}, "
                f"min_commission={self.min_commission}, slippage_bps={self.slippage_bps})")

    # ---- costs ------------------------------------------------------------------------
    def fill_price(self, side: Side | str, price: float) -> float:
        """Execution price for a market order at reference ``price`` (slippage against us)."""
        slip = self.slippage_bps / 10_000.0
        return price * (1 + slip) if Side(side) is Side.BUY else price * (1 - slip)

    def commission(self, quantity: float) -> float:
        """Commission for ``quantity`` units: max(min_commission, per_unit * |quantity|)."""
        return max(self.min_commission, self.commission_per_unit * abs(quantity))

    # ---- Broker protocol --------------------------------------------------------------
    def submit(self, order: Order) -> OrderAck:
        """Accept ``order`` as working; idempotent on ``client_order_id``."""
        broker_order_id = f"paper-{order.client_order_id}"
        existing = self.ledger.get_order(order.client_order_id)
        if existing is None:
            self.ledger.record_order(order)
        elif not _same_order(existing.order, order):
            return OrderAck(order.client_order_id, OrderStatus.REJECTED, None,
                            f"client_order_id {order.client_order_id} already used for "
                            f"{existing.order.side.value} {existing.order.quantity} "
                            f"{existing.order.instrument_id}; refusing a different order under it")
        status = self.ledger.mark_submitted(order.client_order_id, self.name, broker_order_id)
        message = "" if status is OrderStatus.SUBMITTED else f"order already {status.value}"
        return OrderAck(order.client_order_id, status, broker_order_id, message)

    def cancel(self, client_order_id: str) -> OrderAck:
        """Cancel a working order; a filled or unknown order cannot be cancelled."""
        record = self.ledger.get_order(client_order_id)
        if record is None:
            return OrderAck(client_order_id, OrderStatus.REJECTED, None, "unknown order")
        status = self.ledger.mark_cancelled(client_order_id, "cancelled at paper broker")
        message = "" if status is OrderStatus.CANCELLED else f"order already {status.value}"
        return OrderAck(client_order_id, status, record.broker_order_id, message)

    def _working(self) -> list[OrderRecord]:
        return [r for r in self.ledger.orders(statuses=[OrderStatus.SUBMITTED])
                if r.broker == self.name]

    def open_orders(self) -> list[OpenOrder]:
        """Submitted orders not yet filled."""
        return [OpenOrder(r.order.client_order_id, r.order.instrument_id, r.order.side,
                          r.remaining_quantity, r.broker_order_id) for r in self._working()]

    def positions(self) -> dict[str, float]:
        """Net position per instrument over all strategies in this ledger."""
        return self.ledger.positions()

    # ---- market data ------------------------------------------------------------------
    def on_prices(self, date: object, prices: Mapping[str, float] | pd.Series) -> list[Fill]:
        """Fill working orders with ``as_of < date`` against ``prices`` (instrument -> close).

        Orders whose instrument has no price stay working; a limit order that the price does
        not reach stays working. Calling twice for the same date fills nothing new.
        """
        day = to_date(date, "date")
        return self._fill_working(day, prices, lambda order: order.as_of < day)

    def on_bar(self, session: object, prices: Mapping[str, float] | pd.Series,
               decided_at_this_bar: Collection[str] = ()) -> list[Fill]:
        """Intraday: fill working orders of earlier bars (this session's too) at this bar's ``prices``.

        ``decided_at_this_bar``: client order ids of the current bar (the caller's bar-keyed ids);
        those keep working, so a retried bar never fills its own orders at its own price.
        Fills are dated ``session``.
        """
        day = to_date(session, "session")
        own = set(decided_at_this_bar)
        return self._fill_working(day, prices, lambda order: order.as_of <= day and order.client_order_id not in own)

    def _fill_working(self, day, prices: Mapping[str, float] | pd.Series, eligible) -> list[Fill]:
        quotes = dict(prices.items())
        fills = []
        for record in self._working():
            order = record.order
            if not eligible(order) or order.instrument_id not in quotes:
                continue
            price = _valid_price(order.instrument_id, day, quotes[order.instrument_id])
            fill = self._fill_for(record, day, price)
            if fill is not None and self.ledger.record_fill(fill):
                fills.append(fill)
        return fills

    def _fill_for(self, record: OrderRecord, day, price: float) -> Fill | None:
        order = record.order
        executed = self.fill_price(order.side, price)
        if order.order_type is OrderType.LIMIT:
            if order.side is Side.BUY:
                if price > order.limit_price:
                    return None
                executed = min(executed, order.limit_price)
            else:
                if price < order.limit_price:
                    return None
                executed = max(executed, order.limit_price)
        quantity = record.remaining_quantity
        multiplier = self._multipliers.get(order.instrument_id, 1.0)
        return Fill(
            fill_id=f"{order.client_order_id}-{day:%Y%m%d}",
            client_order_id=order.client_order_id, strategy_id=order.strategy_id,
            instrument_id=order.instrument_id, date=day, side=order.side, quantity=quantity,
            price=executed, commission=self.commission(quantity),
            slippage_cost=abs(executed - price) * quantity * multiplier,
        )


def _same_order(a: Order, b: Order) -> bool:
    return (a.instrument_id, a.side, a.quantity, a.order_type, a.limit_price) == (
        b.instrument_id, b.side, b.quantity, b.order_type, b.limit_price)


def _valid_price(instrument_id: str, day, value: object) -> float:
    try:
        price = float(value)
    except (TypeError, ValueError):
        price = math.nan
    if not (math.isfinite(price) and price > 0):
        raise ExecutionInputError(
            f"price for {instrument_id} on {day} is {value!r}: the paper broker needs a finite "
            "close > 0 to fill its working order; clean the price (cleaned_prices) or leave the "
            "instrument out of this call so the order keeps working"
        )
    return price
