"""The desk shows the strategy configuration in effect (PAIRS_STRATEGY_FILE), not StrategyConfig()'s defaults."""
from fastapi.testclient import TestClient

from pairs_platform.api import build_desk, create_app
from pairs_platform.api.settings import ApiSettings
from desk_demo_state import build_demo_state


def test_exposure_and_pnl_are_against_the_configured_capital(tmp_path):
    ledger, _ = build_demo_state(tmp_path)
    ledger.close()
    path = tmp_path / "strategy.toml"
    path.write_text("capital = 250000.0\n")
    env = {"PAIRS_DATA_DIR": str(tmp_path)}
    default = TestClient(create_app(build_desk(ApiSettings.from_env(env)), "")).get("/api/exposure").json()
    configured = TestClient(create_app(build_desk(ApiSettings.from_env({**env, "PAIRS_STRATEGY_FILE": str(path)})),
                                       "")).get("/api/exposure").json()
    assert default["capital"] == 1_000_000.0 and configured["capital"] == 250_000.0
    assert configured["gross"] == default["gross"] > 0
    assert configured["gross_fraction"] == default["gross_fraction"] * 4
