"""Alert-recorder databases: SQLite (tmp_path) and a scratch PostgreSQL database.

PostgreSQL: ``PAIRS_TEST_POSTGRES_URL`` (default: the local server, trust auth). Unreachable: skipped
with the reason, unless ``CI=true`` (fails). TODO(coordinator): share one PostgreSQL fixture with
``pairs_platform_tests/execution/conftest.py`` from a root conftest.
"""
from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

DEFAULT_POSTGRES_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(params=["sqlite", "postgresql"])
def recorder_url(request, tmp_path):
    """URL of an empty database for the SQL alert recorder."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'alerts.db'}"
        return
    base = make_url(os.environ.get("PAIRS_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL))
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    name = f"pairs_alerts_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL alert tests need a server at {base.render_as_string()}: {str(exc.orig).strip()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: these tests are required in CI)")
        pytest.skip(reason)
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
