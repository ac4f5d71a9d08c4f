"""Every route of the OpenAPI schema, fuzzed by schemathesis: responses match their declared schemas,
no 5xx, and the write endpoints answer 401 without the token and 200/422 with it."""
from __future__ import annotations

import pytest
import schemathesis
from desk_demo_state import TOKEN, build_demo_state
from hypothesis import HealthCheck, given, settings

from pairs_platform.api import build_desk, create_app
from pairs_platform.api.settings import ApiSettings


@pytest.fixture(scope="module")
def desk_app(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("desk_schema")
    ledger, _ = build_demo_state(data_dir)
    ledger.close()
    settings = ApiSettings.from_env({"PAIRS_DATA_DIR": str(data_dir), "PAIRS_API_TOKEN": TOKEN})
    return create_app(build_desk(settings), TOKEN)


@pytest.fixture(scope="module")
def api_schema(desk_app):
    return schemathesis.openapi.from_asgi("/openapi.json", desk_app)


def _operations(api_schema, method: str | None = None):
    ops = [result.ok() for result in api_schema.get_all_operations()]
    return [op for op in ops if method is None or op.method.upper() == method]


def _fuzz(operation, headers: dict, allowed: tuple[int, ...]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None,
              derandomize=True)  # the same examples on every run: CI is reproducible
    def run(case):
        response = case.call_and_validate(headers=headers)
        assert response.status_code in allowed, (operation.label, response.status_code, response.text[:300])

    run()


def test_every_route_conforms_without_token(api_schema):
    operations = _operations(api_schema)
    assert len(operations) == 17
    for operation in operations:  # GETs answer 200/422; writes without the token 401/422
        _fuzz(operation, {}, (200, 401, 422))


def test_write_routes_conform_with_token(api_schema):
    for operation in _operations(api_schema, "POST"):
        _fuzz(operation, {"Authorization": f"Bearer {TOKEN}"}, (200, 422))  # 409 only if the ledger refuses


def test_schema_lists_every_route(desk_app):
    paths = set(desk_app.openapi()["paths"])
    assert paths == {
        "/", "/metrics", "/api/health", "/api/positions", "/api/orders", "/api/fills", "/api/pnl", "/api/exposure",
        "/api/trading-state", "/api/trading-state/kill", "/api/trading-state/reduce", "/api/trading-state/resume",
        "/api/signals",
        "/api/universe", "/api/freshness", "/api/model-health", "/api/alerts"}
