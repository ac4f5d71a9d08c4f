"""Ledger tables (SQLAlchemy Core) and the forward-only migration runner.

Why our own runner and not alembic: the ledger has a few small tables, must migrate itself
on open from a library call (notebook, Dagster resource, test) with no ``alembic.ini`` or
script directory on disk, and must run the same code on SQLite and PostgreSQL. A list of
versioned steps applied in order inside one transaction (transactional DDL on both engines)
is ~60 lines we fully test. A later step that needs ALTER TABLE on SQLite can still use
alembic's ``Operations`` (batch mode) inside its function without changing the runner.

Rules for adding a migration: append a new :class:`Migration` with the next version, never
edit an applied one, and update the *current* table definitions below to match; a test
compares the migrated database with these definitions.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pairs_platform.execution.errors import LedgerSchemaError

SIDES = ("buy", "sell")
ORDER_TYPES = ("market", "limit")
STATUSES = ("pending", "submitted", "filled", "cancelled", "rejected")
TRADING_STATES = ("active", "reducing", "halted")
GLOBAL_SCOPE = "*"  # trading_state_events.scope of a state that applies to every strategy

# PostgreSQL advisory-lock key so two processes never migrate the same database at once.
_MIGRATION_LOCK_KEY = 727_115_001


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def define_tables_v1(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Schema version 1: orders, fills, positions, kill_switch (frozen: never edit)."""
    return {"orders": _orders_v1(metadata), "fills": _fills_v1(metadata),
            "positions": _positions_v1(metadata), "kill_switch": _kill_switch_v1(metadata)}


def _orders_v1(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "orders", metadata,
        sa.Column("client_order_id", sa.String(64), primary_key=True),  # PK => UNIQUE
        sa.Column("strategy_id", sa.String(128), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("instrument_id", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", sa.Double, nullable=False),
        sa.Column("order_type", sa.String(8), nullable=False),
        sa.Column("limit_price", sa.Double, nullable=True),
        sa.Column("reference_price", sa.Double, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("filled_quantity", sa.Double, nullable=False, default=0.0),
        sa.Column("broker", sa.String(32), nullable=True),
        sa.Column("broker_order_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=False, default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_in("side", SIDES), name="ck_orders_side"),
        sa.CheckConstraint(_in("order_type", ORDER_TYPES), name="ck_orders_order_type"),
        sa.CheckConstraint(_in("status", STATUSES), name="ck_orders_status"),
        sa.CheckConstraint("quantity > 0", name="ck_orders_quantity_positive"),
        sa.Index("ix_orders_strategy_as_of", "strategy_id", "as_of"),
        sa.Index("ix_orders_status", "status"),
    )


def _fills_v1(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "fills", metadata,
        sa.Column("fill_id", sa.String(96), primary_key=True),
        sa.Column("client_order_id", sa.String(64),
                  sa.ForeignKey("orders.client_order_id", name="fk_fills_order"),
                  nullable=False, index=True),
        sa.Column("date", sa.Date, nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", sa.Double, nullable=False),
        sa.Column("price", sa.Double, nullable=False),
        sa.Column("commission", sa.Double, nullable=False),
        sa.Column("slippage_cost", sa.Double, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_in("side", SIDES), name="ck_fills_side"),
        sa.CheckConstraint("quantity > 0", name="ck_fills_quantity_positive"),
        sa.CheckConstraint("price > 0", name="ck_fills_price_positive"),
    )


def _positions_v1(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "positions", metadata,
        sa.Column("strategy_id", sa.String(128), primary_key=True),
        sa.Column("instrument_id", sa.String(64), primary_key=True),
        sa.Column("quantity", sa.Double, nullable=False),
        sa.Column("avg_price", sa.Double, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def _kill_switch_v1(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "kill_switch", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("engaged", sa.Boolean, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=True),
        sa.CheckConstraint("id = 1", name="ck_kill_switch_single_row"),
    )


def define_tables_v2(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Tables added by schema version 2 (frozen: never edit).

    - ``trading_state_events``: every change of a trading state (active / reducing / halted) with
      its cause: who, when, why; ``scope`` is a strategy id or ``'*'`` for all strategies. The
      current state of a scope is its latest event (none: active). Replaces ``kill_switch``.
    - ``refusals``: every order the risk engine refused, with the check's name and the detail.
    - ``sessions``: one row per (strategy, session) the order manager completed, with a digest
      of the targets it traded (a re-run of a done session is a no-op) and the equity it saw
      (the drawdown breaker's running peak).
    """
    events = sa.Table(
        "trading_state_events", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("who", sa.String(128), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_in("state", TRADING_STATES), name="ck_trading_state_events_state"),
        sa.Index("ix_trading_state_events_scope", "scope", "id"),
    )
    refusals = sa.Table(
        "refusals", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client_order_id", sa.String(64), nullable=False),
        sa.Column("strategy_id", sa.String(128), nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("instrument_id", sa.String(64), nullable=False),
        sa.Column("side", sa.String(4), nullable=False),
        sa.Column("quantity", sa.Double, nullable=False),
        sa.Column("reference_price", sa.Double, nullable=True),
        sa.Column("check_name", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("trading_state", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.CheckConstraint(_in("side", SIDES), name="ck_refusals_side"),
        sa.Index("ix_refusals_strategy_as_of", "strategy_id", "as_of"),
    )
    sessions = sa.Table(
        "sessions", metadata,
        sa.Column("strategy_id", sa.String(128), primary_key=True),
        sa.Column("as_of", sa.Date, primary_key=True),
        sa.Column("targets_digest", sa.String(64), nullable=False),
        sa.Column("equity", sa.Double, nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    return {"trading_state_events": events, "refusals": refusals, "sessions": sessions}


def define_tables_v3(metadata: sa.MetaData) -> dict[str, sa.Table]:
    """Tables added by schema version 3 (frozen: never edit).

    - ``alerts``: every alert the platform raised (``pairs_platform.alerts``), sent or not, with what
      happened to it (``status``: sent, suppressed: duplicate, ...; ``channels``: per channel outcome);
      the dispatcher's dedupe window reads it back, the desk's dashboard and ``/metrics`` show it.
    """
    alerts = sa.Table(
        "alerts", metadata,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("dedupe_key", sa.String(500), nullable=False),
        sa.Column("status", sa.String(500), nullable=False),
        sa.Column("channels", sa.Text, nullable=False),
        sa.Index("ix_alerts_dedupe_key", "dedupe_key"),
    )
    return {"alerts": alerts}


def define_schema_version(metadata: sa.MetaData) -> sa.Table:
    """The bookkeeping table of applied migrations (one row per applied version)."""
    return sa.Table(
        "schema_version", metadata,
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("applied_at", sa.DateTime, nullable=False),
    )


# ---- current schema: what the ledger code reads and writes -------------------------------
metadata = sa.MetaData()
_v1 = define_tables_v1(metadata)
metadata.remove(_v1["kill_switch"])  # dropped by v2 (trading_state_events replaces it)
_current = {**_v1, **define_tables_v2(metadata), **define_tables_v3(metadata)}
orders_table: sa.Table = _current["orders"]
fills_table: sa.Table = _current["fills"]
positions_table: sa.Table = _current["positions"]
trading_state_events_table: sa.Table = _current["trading_state_events"]
refusals_table: sa.Table = _current["refusals"]
sessions_table: sa.Table = _current["sessions"]
alerts_table: sa.Table = _current["alerts"]
schema_version_table: sa.Table = define_schema_version(metadata)


# ---- migrations ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Migration:
    """One forward step: ``apply(connection)`` runs inside the migration transaction."""

    version: int
    description: str
    apply: Callable[[Connection], None]


def _v1_initial_schema(conn: Connection) -> None:
    frozen = sa.MetaData()
    tables = define_tables_v1(frozen)
    frozen.create_all(conn)
    conn.execute(sa.insert(tables["kill_switch"]).values(id=1, engaged=False, reason="", at=None))


def _v2_trading_states_refusals_sessions(conn: Connection) -> None:
    frozen = sa.MetaData()
    v1, v2 = define_tables_v1(frozen), define_tables_v2(frozen)
    for table in v2.values():
        table.create(conn)
    switch = conn.execute(sa.select(v1["kill_switch"])).mappings().first()
    if switch is not None and switch["engaged"]:  # carry an engaged v1 kill switch over
        conn.execute(sa.insert(v2["trading_state_events"]).values(
            scope=GLOBAL_SCOPE, state="halted", who="migration v2",
            reason=f"kill switch engaged before v2: {switch['reason']}",
            at=switch["at"] or dt.datetime.now(dt.UTC).replace(tzinfo=None)))
    v1["kill_switch"].drop(conn)


def _v3_alerts(conn: Connection) -> None:
    for table in define_tables_v3(sa.MetaData()).values():
        table.create(conn)


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "orders, fills, positions, kill_switch", _v1_initial_schema),
    Migration(2, "trading_state_events (replaces kill_switch), refusals, sessions",
              _v2_trading_states_refusals_sessions),
    Migration(3, "alerts", _v3_alerts),
)


def _check_sequence(migrations: Sequence[Migration]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(versions) + 1)):
        raise LedgerSchemaError(f"migration versions must be 1..N in order, got {versions}")


def _lock_for_migration(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK_KEY)))
    # SQLite: the ledger engine opens every transaction with BEGIN IMMEDIATE (a write lock).


def current_version(conn: Connection) -> int:
    """Highest applied schema version (0 for an empty database)."""
    if not sa.inspect(conn).has_table(schema_version_table.name):
        return 0
    value = conn.execute(sa.select(sa.func.max(schema_version_table.c.version))).scalar()
    return int(value or 0)


def apply_migrations(engine: Engine, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply the not-yet-applied ``migrations`` in order; return the versions applied.

    Runs in one transaction (DDL is transactional on SQLite and PostgreSQL), so a failing
    step leaves the database exactly as it was. Idempotent: a second call applies nothing.
    Refuses a database whose version is newer than the code knows.
    """
    _check_sequence(migrations)
    with engine.begin() as conn:
        _lock_for_migration(conn)
        schema_version_table.create(conn, checkfirst=True)
        have = current_version(conn)
        if have > len(migrations):
            raise LedgerSchemaError(
                f"ledger schema version {have} is newer than this code knows "
                f"({len(migrations)}); upgrade pairs_platform or point at another ledger URL"
            )
        applied = []
        for migration in migrations[have:]:
            migration.apply(conn)
            conn.execute(sa.insert(schema_version_table).values(
                version=migration.version, description=migration.description,
                applied_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            ))
            applied.append(migration.version)
    return applied
