"""Every alert is recorded, sent or not: an in-memory recorder and a SQL one (the ledger's ``alerts`` table)."""
from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pairs_platform.alerts.model import Alert
from pairs_platform.execution.errors import LedgerSchemaError
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.ledger_schema import alerts_table


@dataclass(frozen=True)
class AlertRecord:
    """An alert as recorded, with what happened to it (``status``: sent, duplicate, rate-limited,
    failed ...; ``channels``: per channel outcome, e.g. ``log:sent,email:failed: timeout``)."""

    id: int
    created_at: dt.datetime
    kind: str
    severity: str
    title: str
    body: str
    dedupe_key: str
    status: str
    channels: str


@runtime_checkable
class AlertRecorder(Protocol):
    """Where alerts are recorded (the dashboard and ``/metrics`` read them back)."""

    def record(self, alert: Alert, status: str, channels: str) -> AlertRecord:
        """Store ``alert`` with its outcome; return the record."""
        ...

    def recent(self, limit: int = 50) -> list[AlertRecord]:
        """The newest records first."""
        ...

    def last_sent(self, dedupe_key: str) -> dt.datetime | None:
        """When an alert with ``dedupe_key`` was last sent (None if never)."""
        ...

    def counts(self) -> dict[tuple[str, str], int]:
        """Number of records per (kind, status)."""
        ...


SENT = "sent"


class InMemoryAlertRecorder:
    """Keeps records in a list (tests, and a process without a database)."""

    def __init__(self) -> None:
        self._records: list[AlertRecord] = []
        self._lock = threading.Lock()

    def record(self, alert: Alert, status: str, channels: str) -> AlertRecord:
        with self._lock:
            rec = AlertRecord(len(self._records) + 1, alert.created_at, alert.kind.value, alert.severity.value,
                              alert.title, alert.body, alert.dedupe_key, status, channels)
            self._records.append(rec)
        return rec

    def recent(self, limit: int = 50) -> list[AlertRecord]:
        return list(reversed(self._records[-limit:])) if limit > 0 else []

    def last_sent(self, dedupe_key: str) -> dt.datetime | None:
        times = [r.created_at for r in self._records if r.dedupe_key == dedupe_key and r.status == SENT]
        return max(times) if times else None

    def counts(self) -> dict[tuple[str, str], int]:
        out: dict[tuple[str, str], int] = {}
        for r in self._records:
            out[(r.kind, r.status)] = out.get((r.kind, r.status), 0) + 1
        return out


class SqlAlertRecorder:
    """Records alerts in the ``alerts`` table of the ledger database (schema version 3 of
    :mod:`pairs_platform.execution.ledger_schema`).

    Given a URL, it opens the ledger the way every writer does (:class:`~pairs_platform.execution.Ledger`,
    which migrates); given an engine (a read service that does not migrate), a database without the
    table is refused with the fix. The ledger's migrations are the only path that creates the table."""

    def __init__(self, engine: Engine | str) -> None:
        if isinstance(engine, str):
            engine = Ledger(engine).engine
        self.engine = engine
        with self.engine.connect() as conn:
            if not sa.inspect(conn).has_table(alerts_table.name):
                raise LedgerSchemaError(
                    f"{self.engine.url.render_as_string(hide_password=True)} has no 'alerts' table (ledger "
                    "schema version 3): open it once with pairs_platform.execution.Ledger(url) (or run "
                    "`pairs-platform status --ledger-url URL`) to migrate it")

    def record(self, alert: Alert, status: str, channels: str) -> AlertRecord:
        values = {"created_at": alert.created_at, "kind": alert.kind.value, "severity": alert.severity.value,
                  "title": alert.title[:500], "body": alert.body, "dedupe_key": alert.dedupe_key[:500],
                  "status": status[:500], "channels": channels}
        with self.engine.begin() as conn:
            new_id = conn.execute(sa.insert(alerts_table).values(**values)).inserted_primary_key[0]
        return AlertRecord(id=int(new_id), **values)

    def recent(self, limit: int = 50) -> list[AlertRecord]:
        query = sa.select(alerts_table).order_by(alerts_table.c.id.desc()).limit(max(limit, 0))
        with self.engine.connect() as conn:
            return [AlertRecord(**row) for row in conn.execute(query).mappings()]

    def last_sent(self, dedupe_key: str) -> dt.datetime | None:
        query = sa.select(sa.func.max(alerts_table.c.created_at)).where(
            (alerts_table.c.dedupe_key == dedupe_key[:500]) & (alerts_table.c.status == SENT))
        with self.engine.connect() as conn:
            return conn.execute(query).scalar()

    def counts(self) -> dict[tuple[str, str], int]:
        query = sa.select(alerts_table.c.kind, alerts_table.c.status, sa.func.count()).group_by(
            alerts_table.c.kind, alerts_table.c.status)
        with self.engine.connect() as conn:
            return {(kind, status): int(n) for kind, status, n in conn.execute(query)}
