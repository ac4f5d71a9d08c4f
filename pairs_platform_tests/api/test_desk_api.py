"""The desk API against a demo-like ledger and store: numbers checked by hand, auth, kill/resume."""
from __future__ import annotations

import datetime as dt

import pytest
from desk_demo_state import BACKTEST_STEP, REFUSAL, STRATEGY, TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def test_positions_against_targets_per_instrument_and_leg(client, demo):
    _, _, closes = demo
    body = client.get("/api/positions").json()
    assert body["as_of"] == str(closes.index[-1].date())
    rows = {r["instrument_id"]: r for r in body["instruments"]}
    assert (rows["EQ:AAA"]["position"], rows["EQ:AAA"]["target"]) == (100.0, 100.0)
    assert (rows["FUT:CL"]["position"], rows["FUT:CL"]["target"], rows["FUT:CL"]["difference"]) == (0.0, -1.0, -1.0)
    assert rows["FUT:HO"]["market_value"] == pytest.approx(2 * 1000 * closes["FUT:HO"].iloc[-1])
    legs = {(r["pair_id"], r["leg"]): r for r in body["legs"]}
    assert legs[("0|FUT:HO~FUT:CL", "x")]["target_units"] == -1.0
    assert legs[("0|FUT:HO~FUT:CL", "x")]["hedge_ratio"] == pytest.approx(0.035)
    assert legs[("0|EQ:AAA~EQ:BBB", "y")]["z"] == pytest.approx(0.940678, abs=1e-5)


def test_orders_of_a_session_and_refusals_with_reasons(client, demo):
    _, _, closes = demo
    all_orders = client.get("/api/orders").json()
    assert len(all_orders["orders"]) == 4  # a refusal is not an order (its id stays free for a retry)
    day = str(closes.index[-2].date())
    session = client.get("/api/orders", params={"as_of": day}).json()
    assert {o["instrument_id"] for o in session["orders"]} == {"FUT:HO"}
    refusal, = session["refusals"]  # from the ledger's refusals table: check name and detail
    assert (refusal["instrument_id"], refusal["status"], refusal["reason"]) == ("FUT:CL", "max_gross_exposure", REFUSAL)
    assert refusal["at"] is not None
    assert client.get("/api/orders", params={"as_of": "not-a-date"}).status_code == 422
    assert len(client.get("/api/fills").json()["fills"]) == 3


def test_pnl_marked_to_closes_and_against_the_backtest(client, demo):
    _, _, c = demo
    d3, d_2, last = c.index[3], c.index[-2], c.index[-1]
    cash = -100 * c.at[d3, "EQ:AAA"] + 80 * c.at[d3, "EQ:BBB"] - 2 * 1000 * c.at[d_2, "FUT:HO"] - 3.0
    value = 100 * c.at[last, "EQ:AAA"] - 80 * c.at[last, "EQ:BBB"] + 2 * 1000 * c.at[last, "FUT:HO"]
    body = client.get("/api/pnl").json()
    assert body["total_pnl"] == pytest.approx(cash + value, abs=1e-6)
    assert body["points"][0]["date"] == str(d3.date()) and body["points"][0]["daily_pnl"] == pytest.approx(-2.0)
    # the stored backtest's own equity (1e6 + 50 a session), from the session before the first fill
    assert body["backtest_total_pnl"] == pytest.approx(BACKTEST_STEP * (len(c) - 1 - 2))
    assert body["backtest_source"].startswith("backtest_results")
    equity = [p["equity"] for p in body["points"]]
    peak = max(equity)
    assert body["max_drawdown"] == pytest.approx(min(e / max(equity[: i + 1]) - 1 for i, e in enumerate(equity)))
    assert body["current_drawdown"] == pytest.approx(equity[-1] / peak - 1)


def test_exposure_gross_net_and_per_class(client, demo):
    _, _, c = demo
    last = c.index[-1]
    aaa, bbb, ho = 100 * c.at[last, "EQ:AAA"], -80 * c.at[last, "EQ:BBB"], 2000 * c.at[last, "FUT:HO"]
    body = client.get("/api/exposure").json()
    assert body["gross"] == pytest.approx(abs(aaa) + abs(bbb) + abs(ho))
    assert body["net"] == pytest.approx(aaa + bbb + ho)
    assert body["gross_fraction"] == pytest.approx(body["gross"] / 1_000_000)
    classes = {r["asset_class"]: r for r in body["by_asset_class"]}
    assert classes["equity"]["net"] == pytest.approx(aaa + bbb) and classes["future"]["gross"] == pytest.approx(ho)


def test_signals_universe_freshness_model_health_health(client, demo):
    _, _, c = demo
    signals = client.get("/api/signals").json()
    assert signals["as_of"] == str(c.index[-1].date()) and len(signals["signals"]) == 2
    pairs = client.get("/api/universe").json()["pairs"]
    assert {(p["y"], p["x"], p["hedge_ratio"]) for p in pairs} == {("EQ:AAA", "EQ:BBB", 0.8), ("FUT:HO", "FUT:CL", 0.035)}
    fresh = client.get("/api/freshness").json()
    assert fresh["last_session"] == str(c.index[-1].date())
    assert client.get("/api/model-health").json() == {
        "model_name": "pairs_entry_filter", "champion_version": "unknown", "drift_status": "not computed"}
    assert client.get("/api/health").json()["status"] == "ok"


def test_freshness_counts_sessions_behind_the_expected_one(desk):
    # Wednesday 2026-12-02 20:00 New York: that session is expected; the store ends 2026-11-25
    now = dt.datetime(2026, 12, 3, 1, 0, tzinfo=dt.UTC)
    fresh = desk.freshness(now)
    assert fresh.expected_session == dt.date(2026, 12, 2)
    assert fresh.sessions_behind == 4 and fresh.stale  # 11-27, 11-30, 12-01, 12-02 (11-26 is Thanksgiving)
    before_close = desk.freshness(dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC))
    assert before_close.expected_session == dt.date(2026, 11, 25) and not before_close.stale


def test_write_endpoints_are_disabled_without_a_token(open_client):
    response = open_client.post("/api/trading-state/kill", json={"reason": "test"}, headers=AUTH)
    assert response.status_code == 503 and "PAIRS_API_TOKEN" in response.json()["detail"]
    assert open_client.get("/api/trading-state").json()["current"]["state"] == "ACTIVE"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}])
def test_write_endpoints_refuse_a_missing_or_wrong_token(client, headers):
    response = client.post("/api/trading-state/kill", json={"reason": "test"}, headers=headers)
    assert response.status_code == 401
    assert client.get("/api/trading-state").json()["current"]["state"] == "ACTIVE"


def test_kill_and_resume_need_a_reason_change_the_ledger_and_alert(client, demo):
    _, ledger, _ = demo
    assert client.post("/api/trading-state/kill", json={"reason": ""}, headers=AUTH).status_code == 422
    assert client.post("/api/trading-state/kill", json={}, headers=AUTH).status_code == 422
    assert client.post("/api/trading-state/kill", json={"reason": " \t"}, headers=AUTH).status_code == 422
    killed = client.post("/api/trading-state/kill", json={"reason": "DD > 10%", "actor": "jane"}, headers=AUTH)
    assert killed.status_code == 200
    assert killed.json()["current"] == {**killed.json()["current"], "state": "HALTED", "reason": "DD > 10%", "actor": "jane"}
    assert ledger.trading_state().state.value == "halted" and ledger.trading_state().who == "jane"
    resumed = client.post("/api/trading-state/resume", json={"reason": "reviewed"}, headers=AUTH)
    assert resumed.json()["current"]["state"] == "ACTIVE" and ledger.trading_state().state.value == "active"
    assert [h["state"] for h in resumed.json()["history"]] == ["ACTIVE", "HALTED"]  # newest first
    alerts = client.get("/api/alerts").json()["alerts"]
    assert [(a["kind"], a["severity"]) for a in alerts] == [("trading_state", "info"), ("trading_state", "critical")]
    assert "jane set trading state to HALTED: DD > 10%" in alerts[1]["body"]


def test_dashboard_forms_need_the_token_and_a_reason(client, demo):
    _, ledger, _ = demo
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert client.post("/actions/kill", content="token=wrong&reason=x", headers=form).status_code == 401
    assert client.post("/actions/kill", content=f"token={TOKEN}&reason=", headers=form).status_code == 422
    done = client.post("/actions/kill", content=f"token={TOKEN}&reason=fat+finger&actor=bob", headers=form,
                       follow_redirects=False)
    state = ledger.trading_state()
    assert done.status_code == 303 and (state.state.value, state.who, state.reason) == ("halted", "bob", "fat finger")
    page = client.get("/").text
    assert "HALTED" in page and "fat finger" in page


def test_dashboard_formats_money_and_percentages(client):
    page = client.get("/").text
    assert "$1,000,000.00" in page and "max gross exposure 300.00%" in page
    assert 'id="pnl-chart"' in page and 'id="kill-form"' in page


def test_an_empty_desk_answers_every_read_route(tmp_path):
    from fastapi.testclient import TestClient

    from pairs_platform.api import build_desk, create_app
    from pairs_platform.api.settings import ApiSettings
    from pairs_platform.execution.ledger import Ledger

    settings = ApiSettings.from_env({"PAIRS_DATA_DIR": str(tmp_path)})
    Ledger(settings.ledger_url).close()  # an empty, migrated ledger
    client = TestClient(create_app(build_desk(settings), settings.api_token))
    for route in ("/api/positions", "/api/orders", "/api/fills", "/api/pnl", "/api/exposure", "/api/trading-state",
                  "/api/signals", "/api/universe", "/api/freshness", "/api/model-health", "/api/alerts", "/metrics", "/"):
        assert client.get(route).status_code == 200, route
    assert client.get("/api/health").json()["asset_store"] == "empty"
    assert client.get("/api/freshness").json()["stale"] is True
    assert "Kill, reduce and resume are disabled" in client.get("/").text


def test_reduce_sets_reducing_in_the_ledger_with_who_and_why_and_alerts(client, demo):
    _, ledger, _ = demo
    reduced = client.post("/api/trading-state/reduce", json={"reason": "DD > 5%", "actor": "jane"}, headers=AUTH)
    assert reduced.status_code == 200 and reduced.json()["current"]["state"] == "REDUCING"
    state = ledger.trading_state()
    assert (state.state.value, state.scope, state.who, state.reason) == ("reducing", "*", "jane", "DD > 5%")
    assert client.get("/api/alerts").json()["alerts"][0]["severity"] == "warning"
    assert 'id="reduce-form"' in client.get("/").text


def test_the_ledger_model_maps_states_history_and_the_most_restrictive_scope(demo):
    from pairs_platform.api import LedgerStoreReadModel
    from pairs_platform.api.readmodel import StateChangeRequest

    data_dir, ledger, _ = demo
    model = LedgerStoreReadModel(ledger, data_dir / "assets")
    assert model.trading_state().state == "ACTIVE" and model.trading_state_history() == []
    with pytest.raises(ValueError, match="needs a reason"):
        StateChangeRequest("HALTED", "  ", "jane")
    reducing = model.set_trading_state(StateChangeRequest("REDUCING", "cut risk", "jane"))
    halted = model.set_trading_state(StateChangeRequest("HALTED", "DD > 10%", "bob"))
    assert (halted.state, halted.reason, halted.actor, halted.scope) == ("HALTED", "DD > 10%", "bob", "global")
    assert model.trading_state_history() == [halted, reducing] and model.trading_state_history(1) == [halted]
    # a strategy halted on its own (pairs-platform kill --strategy) shows when the global state is active
    model.set_trading_state(StateChangeRequest("ACTIVE", "reviewed", "bob"))
    ledger.set_trading_state("halted", "alice", "broker outage", STRATEGY)
    current = model.trading_state()
    assert (current.state, current.scope, current.actor) == ("HALTED", STRATEGY, "alice")


def test_the_desk_never_migrates_the_ledger_and_says_how_to_fix_it(tmp_path):
    import sqlalchemy as sa

    from pairs_platform.api import build_desk
    from pairs_platform.api.settings import ApiSettings
    from pairs_platform.execution.errors import LedgerSchemaError
    from pairs_platform.execution.ledger import Ledger
    from pairs_platform.execution.ledger_schema import MIGRATIONS, apply_migrations

    settings = ApiSettings.from_env({"PAIRS_DATA_DIR": str(tmp_path)})
    with pytest.raises(LedgerSchemaError, match="does not exist: run `make demo`"):
        build_desk(settings)
    assert not (tmp_path / "ledger.db").exists()  # not created either
    old = Ledger(settings.ledger_url, migrate=False)
    apply_migrations(old.engine, MIGRATIONS[:2])
    with pytest.raises(LedgerSchemaError, match=f"schema version 2, this code needs {len(MIGRATIONS)}"):
        build_desk(settings)
    assert not sa.inspect(old.engine).has_table("alerts")
    old.close()
