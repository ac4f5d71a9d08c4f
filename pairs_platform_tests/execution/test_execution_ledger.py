"""Ledger tests, each run on SQLite and PostgreSQL (see conftest.py)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from pairs_platform.execution import (
    ExecutionInputError, Fill, Ledger, LedgerSchemaError, Order, OrderAck, OrderStatus, Side,
    TradingState, make_client_order_id,
)
from pairs_platform.execution import ledger_schema
from pairs_platform.execution.ledger import apply_fill_to_position
from pairs_platform.execution.ledger_schema import MIGRATIONS, Migration, apply_migrations

AS_OF = dt.date(2024, 1, 2)
NEXT = dt.date(2024, 1, 3)


def _order(instrument_id="EQ:KO", side=Side.BUY, quantity=100.0, strategy_id="s1") -> Order:
    coid = make_client_order_id(strategy_id, AS_OF, instrument_id)
    return Order(coid, strategy_id, AS_OF, instrument_id, side, quantity)


def _fill(order: Order, quantity=None, price=60.0, suffix="1") -> Fill:
    return Fill(f"{order.client_order_id}-{suffix}", order.client_order_id, order.strategy_id,
                order.instrument_id, NEXT, order.side, quantity or order.quantity, price, 1.0, 0.5)


# ---- migrations ----------------------------------------------------------------------------
def test_migrations_apply_once_and_are_idempotent(ledger_url):
    first = Ledger(ledger_url)
    assert first.schema_version() == len(MIGRATIONS)
    assert first.migrate() == []  # already applied on open
    first.close()
    second = Ledger(ledger_url)  # re-open: nothing to do, state intact
    assert second.migrate() == []
    with second.engine.connect() as conn:
        versions = conn.execute(sa.select(ledger_schema.schema_version_table.c.version)).scalars().all()
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    second.close()


def test_migrated_database_matches_current_table_definitions(ledger):
    inspector = sa.inspect(ledger.engine)
    for table in ledger_schema.metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == set(table.c.keys()), table.name


def test_a_new_migration_is_applied_once_on_top_of_existing_ones(ledger):
    def add_note_column(conn):
        conn.execute(sa.text("ALTER TABLE positions ADD COLUMN note VARCHAR(20)"))

    nxt = len(MIGRATIONS) + 1
    extended = (*MIGRATIONS, Migration(nxt, "positions.note", add_note_column))
    assert apply_migrations(ledger.engine, extended) == [nxt]
    assert apply_migrations(ledger.engine, extended) == []
    columns = {c["name"] for c in sa.inspect(ledger.engine).get_columns("positions")}
    assert "note" in columns
    with pytest.raises(LedgerSchemaError, match="newer than this code knows"):
        ledger.migrate()  # the code does not know that version: refuse, do not guess


def test_a_failing_migration_rolls_back_completely(ledger):
    def half_broken(conn):
        conn.execute(sa.text("CREATE TABLE scratch (x INTEGER)"))
        conn.execute(sa.text("SELECT * FROM no_such_table"))

    with pytest.raises(sa.exc.DBAPIError):
        apply_migrations(ledger.engine, (*MIGRATIONS, Migration(len(MIGRATIONS) + 1, "broken", half_broken)))
    assert ledger.schema_version() == len(MIGRATIONS)
    assert not sa.inspect(ledger.engine).has_table("scratch")


# ---- orders ----------------------------------------------------------------------------------
def test_client_order_id_is_unique_in_the_ledger(ledger):
    order = _order()
    assert ledger.record_order(order) is True
    assert ledger.record_order(order) is False
    # the database constraint itself, bypassing the Python check:
    with pytest.raises(sa.exc.IntegrityError):
        with ledger.engine.begin() as conn:
            conn.execute(sa.insert(ledger_schema.orders_table).values(
                client_order_id=order.client_order_id, strategy_id="other", as_of=AS_OF,
                instrument_id="EQ:PEP", side="sell", quantity=1.0, order_type="market",
                status="pending", filled_quantity=0.0, reason="", created_at=dt.datetime(2024, 1, 1),
                updated_at=dt.datetime(2024, 1, 1)))
    assert len(ledger.orders_frame()) == 1


def test_status_transitions_only_move_forward(ledger):
    order = _order()
    ledger.record_order(order)
    assert ledger.apply_ack(OrderAck(order.client_order_id, OrderStatus.SUBMITTED, "b-1"), "paper") \
        is OrderStatus.SUBMITTED
    assert ledger.mark_cancelled(order.client_order_id, "user") is OrderStatus.CANCELLED
    # a late "submitted" ack cannot resurrect a cancelled order
    assert ledger.mark_submitted(order.client_order_id, "paper", "b-2") is OrderStatus.CANCELLED
    record = ledger.get_order(order.client_order_id)
    assert (record.broker, record.broker_order_id, record.order.reason) == ("paper", "b-1", "user")
    with pytest.raises(ExecutionInputError, match="not in the ledger"):
        ledger.mark_submitted("pp-unknown", "paper", None)


# ---- fills and positions ----------------------------------------------------------------------
def test_fill_updates_order_and_position_together(ledger):
    buy = _order(quantity=100.0)
    ledger.record_order(buy)
    ledger.mark_submitted(buy.client_order_id, "paper", None)
    assert ledger.record_fill(_fill(buy, quantity=40.0, price=50.0, suffix="a")) is True
    assert ledger.get_order(buy.client_order_id).status is OrderStatus.SUBMITTED  # partial
    assert ledger.record_fill(_fill(buy, quantity=60.0, price=60.0, suffix="b")) is True
    assert ledger.record_fill(_fill(buy, quantity=60.0, price=60.0, suffix="b")) is False  # replay
    record = ledger.get_order(buy.client_order_id)
    assert (record.status, record.filled_quantity) == (OrderStatus.FILLED, 100.0)
    positions = ledger.positions_frame("s1")
    assert positions["quantity"].tolist() == [100.0]
    assert positions["avg_price"].iloc[0] == pytest.approx((40 * 50 + 60 * 60) / 100)  # 56.0
    fills = ledger.fills_frame("s1")
    assert fills["quantity"].sum() == 100.0 and fills["strategy_id"].unique().tolist() == ["s1"]


def test_fill_and_position_are_one_transaction(ledger, monkeypatch):
    buy = _order()
    ledger.record_order(buy)

    def explode(*_args, **_kwargs):
        raise RuntimeError("disk full while updating the position")

    monkeypatch.setattr(Ledger, "_update_position", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        ledger.record_fill(_fill(buy))
    assert ledger.fills_frame().empty  # the fill insert was rolled back
    assert ledger.get_order(buy.client_order_id).filled_quantity == 0.0
    assert ledger.positions() == {}


def test_fill_errors_name_the_order_and_fix(ledger):
    buy = _order()
    with pytest.raises(ExecutionInputError, match="record the order before its fills"):
        ledger.record_fill(_fill(buy))
    ledger.record_order(buy)
    with pytest.raises(ExecutionInputError, match="overfill"):
        ledger.record_fill(_fill(buy, quantity=150.0))


@pytest.mark.parametrize("start, fill, expected", [
    ((0.0, 0.0), (10.0, 5.0), (10.0, 5.0)),          # open
    ((10.0, 5.0), (10.0, 7.0), (20.0, 6.0)),         # add: average entry
    ((20.0, 6.0), (-5.0, 9.0), (15.0, 6.0)),         # reduce: entry unchanged
    ((15.0, 6.0), (-15.0, 9.0), (0.0, 0.0)),         # flat
    ((10.0, 5.0), (-30.0, 8.0), (-20.0, 8.0)),       # cross through zero
    ((-10.0, 4.0), (-10.0, 2.0), (-20.0, 3.0)),      # add to a short
])
def test_position_arithmetic(start, fill, expected):
    assert apply_fill_to_position(*start, *fill) == pytest.approx(expected)


# ---- trading state and frames ----------------------------------------------------------------
def test_trading_state_persists_across_connections_with_its_cause(ledger_url):
    first = Ledger(ledger_url)
    assert first.trading_state().state is TradingState.ACTIVE
    first.set_trading_state(TradingState.HALTED, "alice", "drawdown 12% > 10% limit")
    first.close()
    second = Ledger(ledger_url)
    state = second.trading_state("any-strategy")  # a global halt applies to every strategy
    assert (state.state, state.who, state.reason) == (TradingState.HALTED, "alice", "drawdown 12% > 10% limit")
    assert state.at is not None
    with pytest.raises(ExecutionInputError, match="needs a non-empty reason"):
        second.set_trading_state(TradingState.ACTIVE, "alice", "  ")
    second.set_trading_state(TradingState.REDUCING, "bob", "only reductions for s1", strategy_id="s1")
    second.set_trading_state(TradingState.ACTIVE, "alice", "checked")
    assert second.trading_state().state is TradingState.ACTIVE
    assert second.trading_state("s1").state is TradingState.REDUCING  # most restrictive wins
    history = second.trading_state_history()
    assert history[["scope", "state", "who"]].values.tolist() == [
        ["*", "halted", "alice"], ["s1", "reducing", "bob"], ["*", "active", "alice"]]
    second.close()


def test_v1_engaged_kill_switch_becomes_halted_in_v2(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = Ledger(url, migrate=False)
    apply_migrations(old.engine, MIGRATIONS[:1])
    with old.engine.begin() as conn:
        conn.execute(sa.text("UPDATE kill_switch SET engaged = 1, reason = 'outage'"))
    assert old.migrate() == [2, 3]  # v3 (alerts) follows
    state = old.trading_state()
    assert state.state is TradingState.HALTED and "outage" in state.reason
    assert not sa.inspect(old.engine).has_table("kill_switch")
    old.close()


def test_empty_frames_have_their_columns(ledger):
    assert list(ledger.orders_frame().columns)[:4] == ["client_order_id", "strategy_id", "as_of",
                                                       "instrument_id"]
    assert "slippage_cost" in ledger.fills_frame().columns
    frame = ledger.positions_frame("nobody")
    assert frame.empty and "avg_price" in frame.columns
    assert pd.api.types.is_datetime64_any_dtype(ledger.orders_frame()["as_of"])


def test_sqlite_creates_missing_parent_directory(tmp_path):
    url = f"sqlite:///{tmp_path / 'deep' / 'state' / 'ledger.db'}"
    with Ledger(url) as opened:
        assert opened.schema_version() == len(MIGRATIONS)
    assert (tmp_path / "deep" / "state" / "ledger.db").exists()
