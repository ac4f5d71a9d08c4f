"""/metrics parses as Prometheus text and carries the desk's numbers."""
from __future__ import annotations

import pytest
from desk_demo_state import TOKEN
from prometheus_client.parser import text_string_to_metric_families

from pairs_platform.alerts import run_failure


def _samples(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def test_metrics_exposition(client, desk, demo):
    desk.alerts.notify(run_failure("daily_pipeline", "run-1", "boom"))
    desk.alerts.notify(run_failure("daily_pipeline", "run-1", "boom"))  # the same run again: not counted twice
    client.post("/api/trading-state/kill", json={"reason": "test"}, headers={"Authorization": f"Bearer {TOKEN}"})
    samples = _samples(client)
    exposure = client.get("/api/exposure").json()
    assert samples[("pairs_position_units", (("asset_class", "equity"), ("instrument_id", "EQ:AAA")))] == 100.0
    assert samples[("pairs_target_units", (("instrument_id", "FUT:CL"),))] == -1.0
    assert samples[("pairs_exposure_dollars", (("kind", "gross"),))] == pytest.approx(exposure["gross"])
    assert samples[("pairs_exposure_fraction", (("kind", "net"),))] == pytest.approx(exposure["net_fraction"])
    assert samples[("pairs_pnl_cumulative_dollars", ())] == pytest.approx(client.get("/api/pnl").json()["total_pnl"])
    assert samples[("pairs_orders_refused", ())] == 1.0
    assert samples[("pairs_orders", (("status", "filled"),))] == 3.0
    assert samples[("pairs_orders_sent", ())] == 3.0
    assert samples[("pairs_trading_state", (("state", "HALTED"),))] == 1.0
    assert samples[("pairs_trading_state", (("state", "ACTIVE"),))] == 0.0
    assert samples[("pairs_reconciliation_status", (("status", "unknown"),))] == 1.0
    assert samples[("pairs_run_failures", ())] == 1.0
    assert samples[("pairs_alerts", (("kind", "trading_state"), ("status", "sent")))] == 1.0
    last = demo[2].index[-1]
    assert samples[("pairs_last_data_session_timestamp_seconds", ())] == last.tz_localize("UTC").timestamp()


def test_metrics_trading_state_is_the_ledgers_including_the_drawdown_breakers_reducing(client, demo):
    from desk_demo_state import STRATEGY

    from pairs_platform.execution.risk_engine import BREAKER

    _, ledger, _ = demo
    ledger.set_trading_state("reducing", BREAKER, "equity is 6.0% below its peak", STRATEGY)  # not via the API
    samples = _samples(client)
    assert samples[("pairs_trading_state", (("state", "REDUCING"),))] == 1.0
    assert samples[("pairs_trading_state", (("state", "ACTIVE"),))] == 0.0


def test_reconciliation_status_is_mismatch_while_its_halt_stands(client, demo):
    from desk_demo_state import STRATEGY

    from pairs_platform.execution.reconciliation import WHO, resume_command

    _, ledger, _ = demo
    assert _samples(client)[("pairs_reconciliation_status", (("status", "mismatch"),))] == 0.0
    ledger.set_trading_state("halted", WHO, f"position_mismatch EQ:AAA; {resume_command(STRATEGY)}", STRATEGY)
    samples = _samples(client)
    assert samples[("pairs_reconciliation_status", (("status", "mismatch"),))] == 1.0
    assert samples[("pairs_reconciliation_status", (("status", "unknown"),))] == 0.0
    ledger.set_trading_state("active", "jane", "positions checked with the broker", STRATEGY)
    assert _samples(client)[("pairs_reconciliation_status", (("status", "mismatch"),))] == 0.0
