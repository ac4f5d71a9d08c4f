"""A demo-like desk (ledger + Parquet store under a tmp dir) and clients of its API."""
from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from pairs_platform.api import build_desk, create_app
from pairs_platform.api.settings import ApiSettings
from desk_demo_state import TOKEN, build_demo_state

@pytest.fixture
def demo(tmp_path):
    """(data_dir, ledger, closes) of a freshly built demo state."""
    ledger, closes = build_demo_state(tmp_path)
    yield tmp_path, ledger, closes
    ledger.close()

def settings_for(data_dir, token: str = "") -> ApiSettings:
    return ApiSettings.from_env({"PAIRS_DATA_DIR": str(data_dir), "PAIRS_API_TOKEN": token})

@pytest.fixture
def desk(demo):
    return build_desk(settings_for(demo[0], TOKEN))

@pytest.fixture
def client(desk):
    return TestClient(create_app(desk, TOKEN))

@pytest.fixture
def open_client(demo):
    """A client of a server with no token configured (write endpoints disabled)."""
    settings = settings_for(demo[0])
    return TestClient(create_app(build_desk(settings), settings.api_token))
