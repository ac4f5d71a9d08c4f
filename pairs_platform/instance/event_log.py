"""A SQLite event log that writes a batch of events in one transaction.

Dagster writes every event of a run as its own SQLite transaction. A ranged run of partitioned
assets emits two asset events per asset-partition (planned, materialized): the demo's 2,012
sessions x 5 partitioned assets are ~20,000 events, and at one transaction (one WAL fsync) each
the event log was most of the demo's wall time (docs/scale.md). Dagster already groups those
events into batches when ``DAGSTER_EVENT_BATCH_SIZE`` is set (PostgreSQL writes a batch in one
statement); the SQLite storage falls back to one transaction per event. This class:

- writes a batch (materializations, observations, planned events of one step) in one transaction
  for the events and one for their asset index rows, as Dagster's PostgreSQL storage does;
- runs SQLite with ``synchronous=NORMAL`` on its write-ahead log (SQLite's recommended setting
  in WAL mode: a crash of the process loses nothing, a power cut can lose the last commits but never
  corrupts the database). The production instance is PostgreSQL (docker/dagster.yaml).

Everything else (schema, reads, watchers, migrations) is Dagster's
``ConsolidatedSqliteEventLogStorage`` unchanged.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from dagster._core.events import ASSET_CHECK_EVENTS, BATCH_WRITABLE_EVENTS
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import ConsolidatedSqliteEventLogStorage
from sqlalchemy.pool import QueuePool

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
POOL_SIZE, POOL_OVERFLOW = 2, 8  # connections kept open per process / opened beyond them under load


def _tune(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class BatchedSqliteEventLogStorage(ConsolidatedSqliteEventLogStorage):
    """Dagster's consolidated SQLite event log, with one transaction per event batch.

    Configured in ``dagster.yaml`` exactly like the class it extends (``base_dir``). Batches are
    formed only when ``DAGSTER_EVENT_BATCH_SIZE`` is set (``make demo``/``make ui`` set it).
    """

    _engine: sa.Engine | None = None
    _engine_pid: int | None = None

    def _shared_engine(self) -> sa.Engine:
        """One engine per process, keeping its connections open between uses.

        Dagster opens and closes a connection per statement (``NullPool``); closing the last
        connection of a WAL database checkpoints and deletes the log, ~1 ms per event. A small pool
        keeps them open; after a fork the child builds its own engine and drops the parent's
        connections unclosed (SQLAlchemy's fork recipe), so it never touches the parent's handles."""
        if self._engine is None or self._engine_pid != os.getpid():
            if self._engine is not None:  # a forked child: forget the parent's connections, never close them
                self._engine.dispose(close=False)
            engine = sa.create_engine(self._conn_string, poolclass=QueuePool, pool_size=POOL_SIZE,
                                      max_overflow=POOL_OVERFLOW,
                                      connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS,
                                                    "check_same_thread": False})
            sa.event.listen(engine, "connect", _tune)
            self._engine, self._engine_pid = engine, os.getpid()
        return self._engine

    def dispose(self) -> None:
        """Dagster's dispose (the watcher), then this process's pooled connections."""
        super().dispose()
        if self._engine is not None and self._engine_pid == os.getpid():
            self._engine.dispose()
            self._engine = None

    @contextmanager
    def _connect(self):
        with self._shared_engine().connect() as conn:
            with conn.begin():
                yield conn

    def store_event_batch(self, events: Sequence[EventLogEntry]) -> None:
        """Stores asset events of one batch in one transaction (plus one for their index rows)."""
        events = [e for e in events if not e.get_dagster_event().is_asset_failed_to_materialize]
        if not events:
            return
        types = {e.get_dagster_event().event_type for e in events}
        if not types <= BATCH_WRITABLE_EVENTS:
            super().store_event_batch(events)
            return
        with self._connect() as conn:
            ids = [conn.execute(self.prepare_insert_event(e)).inserted_primary_key[0] for e in events]
        indexed = [(e, i) for e, i in zip(events, ids) if e.dagster_event and e.dagster_event.asset_key]
        if indexed:
            with self.index_transaction() as conn:
                self._store_asset_event_tags(conn, [e for e, _ in indexed], [i for _, i in indexed])
                for event, event_id in indexed:
                    self._store_asset_event(conn, event, event_id)
        for event, event_id in zip(events, ids):
            if event.dagster_event_type in ASSET_CHECK_EVENTS:
                self.store_asset_check_event(event, event_id)
