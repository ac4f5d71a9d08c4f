"""Ledger fixtures: every ledger test runs on SQLite (tmp_path) and on PostgreSQL (``ledger_url``
and ``postgres_database_url`` come from ``pairs_platform_tests/conftest.py``)."""
from __future__ import annotations

import pytest

from pairs_platform.execution import Ledger


@pytest.fixture
def ledger(ledger_url):
    """An open, migrated ledger on each backend."""
    opened = Ledger(ledger_url)
    yield opened
    opened.close()
