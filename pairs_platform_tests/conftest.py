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

from pairs_platform_tests.pg_support import admin_engine, scratch_database

DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"
_schema_numbers = itertools.count()


@pytest.fixture(scope="session")
def postgres_database_url():
    """URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    with scratch_database(os.environ.get("PAIRS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL), "pairs_test",
                          "the PostgreSQL ledger tests") as url:
        yield url


def _postgres_schema_url(database_url) -> str:
    schema = f"t{next(_schema_numbers)}_{uuid.uuid4().hex[:6]}"
    engine = admin_engine(database_url)
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
