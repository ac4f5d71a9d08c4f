"""Trading states, refusals, completed sessions and the per-strategy lock of the ledger.

Trading states (most restrictive wins between the global scope ``'*'`` and a strategy's scope):

- ``active``: orders go out after the risk engine's checks;
- ``reducing``: only orders that reduce an instrument's exposure go out (drawdown breaker);
- ``halted``: nothing goes out (kill switch).

Every change is a row of ``trading_state_events`` with who, when and why. Refused orders are rows
of ``refusals`` (not rejected orders: a refusal must not occupy the order's client_order_id, so
the same order can go out once the cause is gone, e.g. after ``resume``).
"""
from __future__ import annotations

import datetime as dt
import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Iterator

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pairs_platform.execution.broker import OPEN_STATUSES, Order, OrderStatus, to_date
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.ledger_schema import (
    GLOBAL_SCOPE, fills_table, orders_table, positions_table, refusals_table, sessions_table,
    trading_state_events_table,
)
from pairs_platform.execution import ledger_sql
from pairs_platform.execution.ledger_sql import OrderRecord, utcnow


class TradingState(StrEnum):
    """What may go out: everything checked (active), only reductions (reducing), nothing (halted)."""

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


_SEVERITY = {TradingState.ACTIVE: 0, TradingState.REDUCING: 1, TradingState.HALTED: 2}


@dataclass(frozen=True)
class TradingStateRecord:
    """A trading state and its cause; ``at`` is None for the implicit initial ``active``."""

    state: TradingState
    scope: str
    who: str
    reason: str
    at: dt.datetime | None

    def describe(self) -> str:
        """One line: state, scope, since when, by whom, why."""
        if self.at is None:
            return f"{self.state.value} (scope {self.scope}; never changed)"
        return (f"{self.state.value} (scope {self.scope}) since {self.at:%Y-%m-%d %H:%M:%S} UTC "
                f"by {self.who}: {self.reason}")


def targets_digest(targets: pd.Series) -> str:
    """Stable digest of a session's targets (instrument -> units), for re-run detection."""
    text = ";".join(f"{k}={float(v):.12g}" for k, v in sorted(targets.items()) if float(v) != 0.0)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _scope_state(conn: Connection, scope: str) -> TradingStateRecord:
    t = trading_state_events_table
    row = conn.execute(sa.select(t).where(t.c.scope == scope).order_by(t.c.id.desc()).limit(1)
                       ).mappings().first()
    if row is None:
        return TradingStateRecord(TradingState.ACTIVE, scope, "", "", None)
    return TradingStateRecord(TradingState(row["state"]), scope, row["who"], row["reason"], row["at"])


def effective_state(conn: Connection, strategy_id: str | None) -> TradingStateRecord:
    """The most restrictive of the global state and ``strategy_id``'s own state."""
    states = [_scope_state(conn, GLOBAL_SCOPE)]
    if strategy_id is not None:
        states.append(_scope_state(conn, strategy_id))
    return max(states, key=lambda s: _SEVERITY[s.state])


def set_state(conn: Connection, state: TradingState | str, who: str, reason: str,
              scope: str = GLOBAL_SCOPE) -> TradingStateRecord:
    """Record a state change of ``scope`` with its cause; ``who`` and ``reason`` are required."""
    state = TradingState(state)
    for name, value in (("who", who), ("reason", reason)):
        if not isinstance(value, str) or not value.strip():
            raise ExecutionInputError(
                f"changing the trading state to {state.value} needs a non-empty {name} "
                "(who did it and why), e.g. who='alice', reason='broker outage'")
    at = utcnow()
    conn.execute(sa.insert(trading_state_events_table).values(
        scope=scope, state=state.value, who=who.strip(), reason=reason.strip(), at=at))
    return TradingStateRecord(state, scope, who.strip(), reason.strip(), at)


def state_history(conn: Connection) -> pd.DataFrame:
    """Every trading-state change, oldest first."""
    t = trading_state_events_table
    rows = conn.execute(sa.select(t).order_by(t.c.id)).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=list(t.c.keys()))


def refusals_frame(conn: Connection, strategy_id: str | None = None) -> pd.DataFrame:
    """Every refused order, oldest first."""
    t = refusals_table
    query = sa.select(t).order_by(t.c.id)
    if strategy_id is not None:
        query = query.where(t.c.strategy_id == strategy_id)
    rows = conn.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=list(t.c.keys()))


def strategy_lock_key(strategy_id: str) -> int:
    """Signed 64-bit advisory-lock key of a strategy (stable across processes and machines)."""
    digest = hashlib.sha256(f"pairs_platform.strategy:{strategy_id}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def strategy_lock(engine: Engine, strategy_id: str) -> Iterator["StrategyBook"]:
    """One transaction holding ``strategy_id``'s lock; yields the book to read and record in.

    PostgreSQL: ``pg_advisory_xact_lock`` on :func:`strategy_lock_key`; SQLite: the ledger's
    ``BEGIN IMMEDIATE`` (the database's write lock). Committed on exit, rolled back on error.
    """
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(strategy_lock_key(strategy_id))))
        yield StrategyBook(conn, strategy_id)


class StrategyBook:
    """One strategy's ledger inside its lock: everything the order manager reads and records
    between reading positions and recording orders goes through here (one transaction)."""

    def __init__(self, conn: Connection, strategy_id: str) -> None:
        self.conn, self.strategy_id = conn, strategy_id

    def state(self) -> TradingStateRecord:
        """The effective trading state of this strategy."""
        return effective_state(self.conn, self.strategy_id)

    def set_state(self, state: TradingState, who: str, reason: str) -> TradingStateRecord:
        """Change this strategy's own state (e.g. the drawdown breaker)."""
        return set_state(self.conn, state, who, reason, scope=self.strategy_id)

    def positions(self) -> dict[str, float]:
        """Net position per instrument of this strategy."""
        return ledger_sql.query_positions(self.conn, self.strategy_id)

    def orders(self, statuses=None, as_of: object | None = None) -> list[OrderRecord]:
        """This strategy's orders, filtered by status and as_of."""
        return ledger_sql.query_orders(self.conn, self.strategy_id, as_of, statuses)

    def open_quantity(self) -> dict[str, float]:
        """Signed remaining quantity of open (pending / submitted) orders per instrument."""
        out: dict[str, float] = {}
        for r in self.orders(OPEN_STATUSES):
            out[r.order.instrument_id] = out.get(r.order.instrument_id, 0.0) + (
                r.remaining_quantity * (1 if r.order.side.value == "buy" else -1))
        return out

    def get_order(self, client_order_id: str) -> OrderRecord | None:
        """One order of the ledger, or None."""
        return ledger_sql.get_order(self.conn, client_order_id)

    def record_order(self, order: Order) -> bool:
        """Record ``order`` as pending; False if its id exists (the UNIQUE backstop)."""
        return ledger_sql.insert_order(self.conn, order, OrderStatus.PENDING, None)

    def mark_cancelled(self, client_order_id: str, reason: str) -> OrderStatus:
        """pending/submitted -> cancelled with ``reason``."""
        return ledger_sql.transition(self.conn, client_order_id, OPEN_STATUSES,
                                     OrderStatus.CANCELLED, reason=reason)

    def record_refusal(self, order: Order, check: str, detail: str, state: TradingState) -> None:
        """Record that the risk engine refused ``order`` (``check`` names the rule)."""
        self.conn.execute(sa.insert(refusals_table).values(
            client_order_id=order.client_order_id, strategy_id=order.strategy_id,
            as_of=order.as_of, instrument_id=order.instrument_id, side=order.side.value,
            quantity=float(order.quantity), reference_price=order.reference_price,
            check_name=check, detail=detail, trading_state=TradingState(state).value,
            created_at=utcnow()))

    def session_digest(self, as_of: dt.date) -> str | None:
        """The targets digest of a completed session, or None if it was not done."""
        t = sessions_table
        return self.conn.execute(sa.select(t.c.targets_digest).where(
            (t.c.strategy_id == self.strategy_id) & (t.c.as_of == as_of))).scalar()

    def latest_session(self) -> dt.date | None:
        """The latest session with a session row or an order (None if none)."""
        dates = [self.conn.execute(sa.select(sa.func.max(t.c.as_of)).where(
            t.c.strategy_id == self.strategy_id)).scalar() for t in (sessions_table, orders_table)]
        dates = [to_date(d) for d in dates if d is not None]
        return max(dates) if dates else None

    def record_session(self, as_of: dt.date, digest: str, equity: float | None) -> None:
        """Mark ``as_of`` done with the digest of its targets (upsert) and the equity seen."""
        t = sessions_table
        key = (t.c.strategy_id == self.strategy_id) & (t.c.as_of == as_of)
        values = {"targets_digest": digest, "equity": equity, "updated_at": utcnow()}
        if self.conn.execute(sa.update(t).where(key).values(**values)).rowcount == 0:
            self.conn.execute(sa.insert(t).values(strategy_id=self.strategy_id, as_of=as_of,
                                                  created_at=utcnow(), **values))

    def peak_equity(self) -> float | None:
        """Highest equity recorded over this strategy's sessions (None if none)."""
        t = sessions_table
        value = self.conn.execute(sa.select(sa.func.max(t.c.equity)).where(
            t.c.strategy_id == self.strategy_id)).scalar()
        return None if value is None else float(value)

    def orders_in_session(self, as_of: dt.date) -> int:
        """Orders recorded for this strategy and session (for max orders per session)."""
        t = orders_table
        return int(self.conn.execute(sa.select(sa.func.count()).select_from(t).where(
            (t.c.strategy_id == self.strategy_id) & (t.c.as_of == as_of))).scalar())

    def cash_by_instrument(self) -> dict[str, tuple[float, float, float]]:
        """Per instrument: (signed units x fill price summed over fills, commissions, position
        average price) -- what equity is computed from (units, not yet x multiplier)."""
        f, o, p = fills_table, orders_table, positions_table
        signed = sa.case((f.c.side == "buy", f.c.quantity * f.c.price), else_=-f.c.quantity * f.c.price)
        rows = self.conn.execute(
            sa.select(o.c.instrument_id, sa.func.sum(signed), sa.func.sum(f.c.commission))
            .join(o, o.c.client_order_id == f.c.client_order_id)
            .where(o.c.strategy_id == self.strategy_id).group_by(o.c.instrument_id)).all()
        avg = dict(self.conn.execute(sa.select(p.c.instrument_id, p.c.avg_price).where(
            p.c.strategy_id == self.strategy_id)).all())
        return {i: (float(n), float(c), float(avg.get(i, 0.0))) for i, n, c in rows}
