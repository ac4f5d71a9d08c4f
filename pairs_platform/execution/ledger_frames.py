"""Read the ledger back as pandas DataFrames (what the Dagster layer and reports consume).

Dates (``as_of``, fill ``date``) come back as ``datetime64`` at midnight, matching the
project's price contract; timestamps (``created_at``, ``updated_at``) are naive UTC.
"""
from __future__ import annotations

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pairs_platform.execution.ledger_schema import fills_table, orders_table, positions_table

ORDER_COLUMNS = [
    "client_order_id", "strategy_id", "as_of", "instrument_id", "side", "quantity",
    "order_type", "limit_price", "reference_price", "status", "filled_quantity", "broker",
    "broker_order_id", "reason", "created_at", "updated_at",
]
FILL_COLUMNS = [
    "fill_id", "client_order_id", "strategy_id", "instrument_id", "date", "side", "quantity",
    "signed_quantity", "price", "commission", "slippage_cost", "created_at",
]
POSITION_COLUMNS = ["strategy_id", "instrument_id", "quantity", "avg_price", "updated_at"]

_FLOAT_COLUMNS = {"quantity", "limit_price", "reference_price", "filled_quantity", "price",
                  "commission", "slippage_cost", "avg_price", "signed_quantity"}
_DATE_COLUMNS = {"as_of", "date", "created_at", "updated_at"}


def _frame(engine: Engine, query: sa.Select, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings()]
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column in _FLOAT_COLUMNS:
            frame[column] = frame[column].astype("float64")
        elif column in _DATE_COLUMNS:
            frame[column] = pd.to_datetime(frame[column]).astype("datetime64[ns]")
    return frame.reset_index(drop=True)


def orders_frame(engine: Engine, strategy_id: str | None = None) -> pd.DataFrame:
    """One row per order, sorted by (as_of, instrument_id, client_order_id)."""
    query = sa.select(*[orders_table.c[name] for name in ORDER_COLUMNS]).order_by(
        orders_table.c.as_of, orders_table.c.instrument_id, orders_table.c.client_order_id)
    if strategy_id is not None:
        query = query.where(orders_table.c.strategy_id == strategy_id)
    return _frame(engine, query, ORDER_COLUMNS)


def fills_frame(engine: Engine, strategy_id: str | None = None) -> pd.DataFrame:
    """One row per fill, joined with its order's strategy and instrument, sorted by date."""
    signed = sa.case((fills_table.c.side == "buy", fills_table.c.quantity),
                     else_=-fills_table.c.quantity).label("signed_quantity")
    query = (
        sa.select(
            fills_table.c.fill_id, fills_table.c.client_order_id, orders_table.c.strategy_id,
            orders_table.c.instrument_id, fills_table.c.date, fills_table.c.side,
            fills_table.c.quantity, signed, fills_table.c.price, fills_table.c.commission,
            fills_table.c.slippage_cost, fills_table.c.created_at)
        .join(orders_table, orders_table.c.client_order_id == fills_table.c.client_order_id)
        .order_by(fills_table.c.date, orders_table.c.instrument_id, fills_table.c.fill_id)
    )
    if strategy_id is not None:
        query = query.where(orders_table.c.strategy_id == strategy_id)
    return _frame(engine, query, FILL_COLUMNS)


def positions_frame(engine: Engine, strategy_id: str | None = None,
                    include_flat: bool = False) -> pd.DataFrame:
    """One row per (strategy_id, instrument_id) position, sorted by those keys."""
    query = sa.select(*[positions_table.c[name] for name in POSITION_COLUMNS]).order_by(
        positions_table.c.strategy_id, positions_table.c.instrument_id)
    if strategy_id is not None:
        query = query.where(positions_table.c.strategy_id == strategy_id)
    if not include_flat:
        query = query.where(positions_table.c.quantity != 0)
    return _frame(engine, query, POSITION_COLUMNS)
