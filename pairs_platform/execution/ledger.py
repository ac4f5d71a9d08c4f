"""The SQL trading ledger: orders, fills, positions, trading states, refusals and sessions.

``Ledger(default_ledger_url())`` by default (``$PAIRS_LEDGER_URL``, else SQLite under the data
dir), ``Ledger("postgresql://...")`` in production (psycopg 3; ``postgresql+psycopg2://`` works
too). The schema migrates itself on open (see :mod:`ledger_schema`). A fill, its order's status
and the strategy's position change together in ONE transaction. Trading states, refusals,
sessions and the per-strategy lock are in :mod:`ledger_state`. Timestamps are naive UTC.
"""
from __future__ import annotations

import datetime as dt
import math
import os
import sqlite3
import time
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import StaticPool

from pairs_platform.execution import ledger_frames, ledger_sql, ledger_state
from pairs_platform.execution.broker import OPEN_STATUSES, Fill, Order, OrderAck, OrderStatus, to_date
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.ledger_schema import (
    GLOBAL_SCOPE, MIGRATIONS, apply_migrations, current_version, fills_table, orders_table,
    positions_table,
)
from pairs_platform.execution.ledger_sql import OrderRecord, utcnow as _utcnow
from pairs_platform.execution.ledger_state import StrategyBook, TradingState, TradingStateRecord
from pairs_platform.paths import data_dir

__all__ = ["Ledger", "OrderRecord", "apply_fill_to_position", "create_ledger_engine",
           "default_ledger_url"]

_FLAT_TOLERANCE = 1e-9


def default_ledger_url(env: Mapping[str, str] | None = None) -> str:
    """The ledger every entry point uses by default: ``$PAIRS_LEDGER_URL`` if set, else
    ``sqlite:///$PAIRS_DATA_DIR/ledger.db`` (data dir default ``./.data``)."""
    environ = os.environ if env is None else env
    url = environ.get("PAIRS_LEDGER_URL", "").strip()
    return url or f"sqlite:///{data_dir(environ) / 'ledger.db'}"


def apply_fill_to_position(
    quantity: float, avg_price: float, fill_signed_quantity: float, fill_price: float,
) -> tuple[float, float]:
    """New (quantity, avg_price) after a fill; avg_price is the average entry price.

    Adding to a position averages the entry price; reducing keeps it; going flat sets it
    to 0; crossing through zero starts a new position at the fill price.
    """
    new_quantity = quantity + fill_signed_quantity
    if abs(new_quantity) <= _FLAT_TOLERANCE * max(1.0, abs(quantity)):
        return 0.0, 0.0
    if quantity == 0 or (quantity > 0) == (fill_signed_quantity > 0):
        weighted = abs(quantity) * avg_price + abs(fill_signed_quantity) * fill_price
        return new_quantity, weighted / abs(new_quantity)
    if (quantity > 0) == (new_quantity > 0):
        return new_quantity, avg_price
    return new_quantity, fill_price


def _sqlite_engine(url: URL, echo: bool) -> Engine:
    in_memory = url.database in (None, "", ":memory:")
    if not in_memory:
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict = {"connect_args": {"timeout": 30, "check_same_thread": False}}
    if in_memory:
        kwargs["poolclass"] = StaticPool  # one shared connection, else every checkout is a new DB
    engine = sa.create_engine(url, echo=echo, **kwargs)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # pragma: no cover - driver hook
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN (transactional DDL)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            _enable_wal(cursor)
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # pragma: no cover - driver hook
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front

    return engine


def _enable_wal(cursor, attempts: int = 100) -> None:
    """Switch a SQLite file to WAL (persistent). Two processes opening a brand-new ledger at once
    both try it, and SQLite answers "database is locked" at once (no busy wait): retry."""
    for attempt in range(attempts):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(0.05 + 0.01 * attempt)


def create_ledger_engine(url: str | URL, echo: bool = False) -> Engine:
    """SQLAlchemy engine for a ledger URL (SQLite gets FK enforcement and real transactions)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed, echo)
    return sa.create_engine(parsed, echo=echo, pool_pre_ping=True)


class Ledger:
    """Trading state in SQL. ``Ledger(url)`` opens (and migrates) the database at ``url``."""

    def __init__(self, url: str | URL, *, migrate: bool = True, echo: bool = False) -> None:
        self.engine: Engine = create_ledger_engine(url, echo=echo)
        if migrate:
            self.migrate()

    @property
    def url(self) -> str:
        """The database URL with any password masked."""
        return self.engine.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"Ledger({self.url!r})"

    def migrate(self) -> list[int]:
        """Apply pending schema migrations; return the versions applied (idempotent)."""
        return apply_migrations(self.engine, MIGRATIONS)

    def schema_version(self) -> int:
        """The database's applied schema version."""
        with self.engine.connect() as conn:
            return current_version(conn)

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # ---- orders -----------------------------------------------------------------------
    def record_order(self, order: Order, status: OrderStatus = OrderStatus.PENDING,
                     reason: str | None = None) -> bool:
        """Insert ``order`` (status ``pending`` by default); False if its id already exists.

        The UNIQUE client_order_id is the last line of defence against duplicate orders.
        """
        with self.engine.begin() as conn:
            return ledger_sql.insert_order(conn, order, status, reason)

    def get_order(self, client_order_id: str) -> OrderRecord | None:
        """The ledger's record of one order, or None."""
        with self.engine.connect() as conn:
            return ledger_sql.get_order(conn, client_order_id)

    def orders(self, strategy_id: str | None = None, as_of: object | None = None,
               statuses: Iterable[OrderStatus | str] | None = None) -> list[OrderRecord]:
        """Orders filtered by strategy, as_of date and status, in a deterministic order."""
        with self.engine.connect() as conn:
            return ledger_sql.query_orders(conn, strategy_id, as_of, statuses)

    def latest_as_of(self, strategy_id: str) -> dt.date | None:
        """The most recent as_of date with an order of ``strategy_id`` (None if none)."""
        query = sa.select(sa.func.max(orders_table.c.as_of)).where(
            orders_table.c.strategy_id == strategy_id)
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar()
        return None if value is None else to_date(value)

    def _transition(self, client_order_id: str, allowed_from: Iterable[OrderStatus],
                    to: OrderStatus, **values: object) -> OrderStatus:
        with self.engine.begin() as conn:
            return ledger_sql.transition(conn, client_order_id, allowed_from, to, **values)

    def mark_submitted(self, client_order_id: str, broker: str,
                       broker_order_id: str | None) -> OrderStatus:
        """pending -> submitted (no-op in any other status); returns the status after."""
        return self._transition(client_order_id, [OrderStatus.PENDING], OrderStatus.SUBMITTED,
                                broker=broker, broker_order_id=broker_order_id)

    def mark_rejected(self, client_order_id: str, reason: str) -> OrderStatus:
        """pending/submitted -> rejected with ``reason``."""
        return self._transition(client_order_id, OPEN_STATUSES, OrderStatus.REJECTED, reason=reason)

    def mark_cancelled(self, client_order_id: str, reason: str) -> OrderStatus:
        """pending/submitted -> cancelled with ``reason``."""
        return self._transition(client_order_id, OPEN_STATUSES, OrderStatus.CANCELLED, reason=reason)

    def apply_ack(self, ack: OrderAck, broker: str) -> OrderStatus:
        """Record a broker acknowledgement (submitted / rejected / cancelled); fills come via
        :meth:`record_fill`. Returns the order's status after."""
        status = OrderStatus(ack.status)
        if status is OrderStatus.REJECTED:
            return self.mark_rejected(ack.client_order_id, ack.message or f"rejected by {broker}")
        if status is OrderStatus.CANCELLED:
            return self.mark_cancelled(ack.client_order_id, ack.message or f"cancelled by {broker}")
        return self.mark_submitted(ack.client_order_id, broker, ack.broker_order_id)

    # ---- fills and positions ----------------------------------------------------------
    def record_fill(self, fill: Fill) -> bool:
        """Record ``fill``, update its order and the strategy's position in ONE transaction.

        Returns False (and changes nothing) if ``fill.fill_id`` is already recorded.
        """
        with self.engine.begin() as conn:
            order = conn.execute(
                sa.select(orders_table).where(
                    orders_table.c.client_order_id == fill.client_order_id).with_for_update()
            ).mappings().first()
            _check_fill_against_order(fill, order)
            exists = conn.execute(sa.select(fills_table.c.fill_id).where(
                fills_table.c.fill_id == fill.fill_id)).first()
            if exists is not None:
                return False
            conn.execute(sa.insert(fills_table).values(
                fill_id=fill.fill_id, client_order_id=fill.client_order_id, date=fill.date,
                side=fill.side.value, quantity=fill.quantity, price=fill.price,
                commission=fill.commission, slippage_cost=fill.slippage_cost,
                created_at=_utcnow()))
            filled = order["filled_quantity"] + fill.quantity
            if filled > order["quantity"] * (1 + _FLAT_TOLERANCE):
                raise ExecutionInputError(
                    f"fill {fill.fill_id} ({fill.instrument_id}, {fill.date}) would overfill order "
                    f"{fill.client_order_id}: {filled} > {order['quantity']}; check the broker's fills")
            done = filled >= order["quantity"] * (1 - _FLAT_TOLERANCE)
            conn.execute(sa.update(orders_table)
                         .where(orders_table.c.client_order_id == fill.client_order_id)
                         .values(filled_quantity=filled, updated_at=_utcnow(),
                                 status=(OrderStatus.FILLED if done else order["status"])))
            self._update_position(conn, order["strategy_id"], fill)
        return True

    def _update_position(self, conn: sa.Connection, strategy_id: str, fill: Fill) -> None:
        key = (positions_table.c.strategy_id == strategy_id) & (
            positions_table.c.instrument_id == fill.instrument_id)
        row = conn.execute(sa.select(positions_table).where(key).with_for_update()).mappings().first()
        quantity, avg = (0.0, 0.0) if row is None else (row["quantity"], row["avg_price"])
        quantity, avg = apply_fill_to_position(quantity, avg, fill.signed_quantity, fill.price)
        values = {"quantity": quantity, "avg_price": avg, "updated_at": _utcnow()}
        if row is None:
            conn.execute(sa.insert(positions_table).values(
                strategy_id=strategy_id, instrument_id=fill.instrument_id, **values))
        else:
            conn.execute(sa.update(positions_table).where(key).values(**values))

    def positions(self, strategy_id: str | None = None) -> dict[str, float]:
        """Net non-flat quantity per instrument (one strategy, or summed over all)."""
        with self.engine.connect() as conn:
            return ledger_sql.query_positions(conn, strategy_id)

    # ---- trading state, lock, refusals ---------------------------------------------------
    def strategy_lock(self, strategy_id: str) -> AbstractContextManager[StrategyBook]:
        """``with ledger.strategy_lock(sid) as book:`` one transaction holding ``sid``'s lock
        from reading positions to recording orders (PostgreSQL advisory lock / SQLite
        ``BEGIN IMMEDIATE``); concurrent runs of the same strategy wait for each other."""
        return ledger_state.strategy_lock(self.engine, strategy_id)

    def trading_state(self, strategy_id: str | None = None) -> TradingStateRecord:
        """Effective trading state: global, or the most restrictive of global and ``strategy_id``'s."""
        with self.engine.connect() as conn:
            return ledger_state.effective_state(conn, strategy_id)

    def set_trading_state(self, state: TradingState | str, who: str, reason: str,
                          strategy_id: str | None = None) -> TradingStateRecord:
        """Record a state change (global, or of one strategy) with who and why."""
        with self.engine.begin() as conn:
            return ledger_state.set_state(conn, state, who, reason, strategy_id or GLOBAL_SCOPE)

    def trading_state_history(self) -> pd.DataFrame:
        """Every trading-state change with scope, state, who, reason and time."""
        with self.engine.connect() as conn:
            return ledger_state.state_history(conn)

    def refusals_frame(self, strategy_id: str | None = None) -> pd.DataFrame:
        """Every order the risk engine refused, with the check's name and detail."""
        with self.engine.connect() as conn:
            return ledger_state.refusals_frame(conn, strategy_id)

    # ---- frames -----------------------------------------------------------------------
    def orders_frame(self, strategy_id: str | None = None) -> pd.DataFrame:
        """All orders (optionally of one strategy) as a DataFrame, one row per order."""
        return ledger_frames.orders_frame(self.engine, strategy_id)

    def fills_frame(self, strategy_id: str | None = None) -> pd.DataFrame:
        """All fills with their order's strategy_id and instrument_id."""
        return ledger_frames.fills_frame(self.engine, strategy_id)

    def positions_frame(self, strategy_id: str | None = None,
                        include_flat: bool = False) -> pd.DataFrame:
        """Positions per (strategy_id, instrument_id); flat rows only if ``include_flat``."""
        return ledger_frames.positions_frame(self.engine, strategy_id, include_flat)


def _check_fill_against_order(fill: Fill, order: sa.RowMapping | None) -> None:
    where = f"fill {fill.fill_id} ({fill.instrument_id}, {fill.date})"
    if order is None:
        raise ExecutionInputError(f"{where}: order {fill.client_order_id} is not in the ledger; "
                                  "record the order before its fills")
    if order["instrument_id"] != fill.instrument_id or order["side"] != fill.side.value:
        raise ExecutionInputError(
            f"{where}: instrument/side {fill.instrument_id}/{fill.side.value} do not match order "
            f"{fill.client_order_id} ({order['instrument_id']}/{order['side']})")
    if not (math.isfinite(fill.price) and fill.price > 0 and fill.quantity > 0):
        raise ExecutionInputError(f"{where}: price {fill.price} and quantity {fill.quantity} must be > 0")
