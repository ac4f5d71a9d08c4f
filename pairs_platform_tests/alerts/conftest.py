"""Alert-recorder databases: a migrated ledger database on SQLite and on PostgreSQL (the shared
``ledger_url`` fixture of ``pairs_platform_tests/conftest.py``)."""
from __future__ import annotations

import pytest

from pairs_platform.execution import Ledger


@pytest.fixture
def recorder_url(ledger_url):
    """URL of a migrated ledger database (it holds the ``alerts`` table)."""
    Ledger(ledger_url).close()
    return ledger_url
