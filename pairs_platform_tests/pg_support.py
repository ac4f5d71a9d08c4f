"""Scratch PostgreSQL databases for tests: created fresh, dropped afterwards, never silently absent.

An unreachable server skips the test with the reason, except under ``CI=true``, where it fails.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url


def admin_engine(url: str | URL) -> sa.Engine:
    """An autocommit engine on ``url`` (for CREATE / DROP DATABASE)."""
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})


@contextmanager
def scratch_database(admin_url: str | URL, prefix: str, purpose: str) -> Iterator[URL]:
    """Yield the URL of a new database named ``<prefix>_<random>`` on ``admin_url``'s server.

    Parameters
    ----------
    admin_url : str or URL
        A database on the server to connect to as an administrator (e.g. ``.../postgres``).
    prefix : str
        Start of the scratch database's name.
    purpose : str
        What needs the server, named in the skip / failure message.
    """
    base = make_url(admin_url)
    admin = admin_engine(base)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = (f"{purpose} needs PostgreSQL at {base.render_as_string(hide_password=True)}: "
                  f"{str(exc.orig).strip()}")
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: required)")
        pytest.skip(reason + "; start it or set PAIRS_TEST_POSTGRES_URL")
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
