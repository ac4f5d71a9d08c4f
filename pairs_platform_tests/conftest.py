"""Fixtures shared by every test package: the ledger databases (SQLite and PostgreSQL).

PostgreSQL: ``PAIRS_TEST_POSTGRES_URL`` (default: the local server, trust auth, user
``postgres``). One fresh, uniquely named database per test session, dropped at the end; one
schema per test inside it (via ``search_path``), so tests never see each other's rows.
Unreachable server: the PostgreSQL cases are skipped with the reason, unless ``CI=true``,
where they fail.
"""
from __future__ import annotations

import itertools
import os
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
_schema_numbers = itertools.count()


def _admin_engine(url) -> sa.Engine:
    return sa.create_engine(url, isolation_level="AUTOCOMMIT",
                            connect_args={"connect_timeout": 5})


@pytest.fixture(scope="session")
def postgres_database_url():
    """URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    base = make_url(os.environ.get("PAIRS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    shown = base.render_as_string(hide_password=True)
    admin = _admin_engine(base)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL ledger tests need a server at {shown}: {str(exc.orig).strip()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: these tests are required in CI)")
        pytest.skip(reason + "; start it or set PAIRS_TEST_POSTGRES_URL")
    name = f"pairs_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _postgres_schema_url(database_url) -> str:
    schema = f"t{next(_schema_numbers)}_{uuid.uuid4().hex[:6]}"
    engine = _admin_engine(database_url)
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    url = database_url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger_url(request, tmp_path) -> str:
    """A ledger URL for an empty database: SQLite file, then PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    return _postgres_schema_url(request.getfixturevalue("postgres_database_url"))
