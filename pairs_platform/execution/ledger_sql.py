"""Ledger queries on an open connection, shared by :class:`Ledger` (one short transaction per
call) and :class:`~pairs_platform.execution.ledger_state.StrategyBook` (everything inside the
per-strategy lock's one transaction)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from pairs_platform.execution.broker import (
    OPEN_STATUSES, Order, OrderStatus, OrderType, Side, to_date,
)
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.ledger_schema import orders_table, positions_table


def utcnow() -> dt.datetime:
    """Now as naive UTC (how the ledger stores timestamps)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class OrderRecord:
    """An order as the ledger holds it: the order plus its lifecycle state."""

    order: Order
    status: OrderStatus
    filled_quantity: float
    broker: str | None
    broker_order_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def remaining_quantity(self) -> float:
        """Quantity still to fill (0 once the order is final)."""
        if self.status not in OPEN_STATUSES:
            return 0.0
        return max(self.order.quantity - self.filled_quantity, 0.0)


def order_record(row: sa.RowMapping) -> OrderRecord:
    """An :class:`OrderRecord` from an ``orders`` row."""
    order = Order(
        client_order_id=row["client_order_id"], strategy_id=row["strategy_id"],
        as_of=row["as_of"], instrument_id=row["instrument_id"], side=Side(row["side"]),
        quantity=row["quantity"], order_type=OrderType(row["order_type"]),
        limit_price=row["limit_price"], reference_price=row["reference_price"],
        reason=row["reason"],
    )
    return OrderRecord(order, OrderStatus(row["status"]), float(row["filled_quantity"]),
                       row["broker"], row["broker_order_id"], row["created_at"], row["updated_at"])


def insert_order(conn: Connection, order: Order, status: OrderStatus, reason: str | None) -> bool:
    """Insert ``order`` in a savepoint; False if its client_order_id already exists."""
    now = utcnow()
    row = {
        "client_order_id": order.client_order_id, "strategy_id": order.strategy_id,
        "as_of": order.as_of, "instrument_id": order.instrument_id,
        "side": order.side.value, "quantity": float(order.quantity),
        "order_type": order.order_type.value, "limit_price": order.limit_price,
        "reference_price": order.reference_price, "status": OrderStatus(status).value,
        "filled_quantity": 0.0, "reason": order.reason if reason is None else reason,
        "created_at": now, "updated_at": now,
    }
    try:
        with conn.begin_nested():
            conn.execute(sa.insert(orders_table).values(**row))
    except IntegrityError:
        if get_order(conn, order.client_order_id) is None:
            raise  # some other constraint failed: surface it
        return False
    return True


def get_order(conn: Connection, client_order_id: str) -> OrderRecord | None:
    """The record of one order, or None."""
    query = sa.select(orders_table).where(orders_table.c.client_order_id == client_order_id)
    row = conn.execute(query).mappings().first()
    return None if row is None else order_record(row)


def query_orders(conn: Connection, strategy_id: str | None = None, as_of: object | None = None,
                 statuses: Iterable[OrderStatus | str] | None = None) -> list[OrderRecord]:
    """Orders filtered by strategy, as_of date and status, in a deterministic order."""
    query = sa.select(orders_table).order_by(
        orders_table.c.as_of, orders_table.c.instrument_id, orders_table.c.client_order_id)
    if strategy_id is not None:
        query = query.where(orders_table.c.strategy_id == strategy_id)
    if as_of is not None:
        query = query.where(orders_table.c.as_of == to_date(as_of))
    if statuses is not None:
        query = query.where(orders_table.c.status.in_([OrderStatus(s).value for s in statuses]))
    return [order_record(row) for row in conn.execute(query).mappings()]


def query_positions(conn: Connection, strategy_id: str | None = None) -> dict[str, float]:
    """Net non-flat quantity per instrument (one strategy, or summed over all)."""
    query = sa.select(positions_table.c.instrument_id,
                      sa.func.sum(positions_table.c.quantity)).group_by(
        positions_table.c.instrument_id).order_by(positions_table.c.instrument_id)
    if strategy_id is not None:
        query = query.where(positions_table.c.strategy_id == strategy_id)
    return {instrument: float(qty) for instrument, qty in conn.execute(query).all() if qty != 0}


def transition(conn: Connection, client_order_id: str, allowed_from: Iterable[OrderStatus],
               to: OrderStatus, **values: object) -> OrderStatus:
    """Move an order to ``to`` if its status is in ``allowed_from``; return the status after."""
    allowed = [OrderStatus(s).value for s in allowed_from]
    conn.execute(
        sa.update(orders_table)
        .where(orders_table.c.client_order_id == client_order_id)
        .where(orders_table.c.status.in_(allowed))
        .values(status=to.value, updated_at=utcnow(), **values))
    status = conn.execute(sa.select(orders_table.c.status).where(
        orders_table.c.client_order_id == client_order_id)).scalar()
    if status is None:
        raise ExecutionInputError(
            f"order {client_order_id} is not in the ledger; record it before changing its status")
    return OrderStatus(status)
