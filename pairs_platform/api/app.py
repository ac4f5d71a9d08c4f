"""The desk API: read endpoints over the read model, kill/resume behind a bearer token, /metrics, and
the dashboard at ``/``.

Write endpoints need ``Authorization: Bearer $PAIRS_API_TOKEN``; with no token configured they answer
503 (disabled), never open. Tokens are compared with :func:`hmac.compare_digest`.
"""
from __future__ import annotations

import datetime as dt
import hmac
from urllib.parse import parse_qs

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from pairs_platform.api import schemas as S
from pairs_platform.api.dashboard import render_dashboard
from pairs_platform.api.desk import Desk
from pairs_platform.api.metrics import render_metrics
from pairs_platform.api.readmodel import TradingStateName, UnsupportedStateChange
from pairs_platform.execution.errors import ExecutionInputError

DISABLED = "write endpoints are disabled: no PAIRS_API_TOKEN is configured on the server"
WRITE_ERRORS = {401: {"model": S.ErrorOut}, 409: {"model": S.ErrorOut}, 503: {"model": S.ErrorOut}}
# The write actions: the same ledger rule as ``pairs-platform kill/resume`` (a global-scope state change
# with who and why); ``reduce`` is the drawdown breaker's state set by hand.
ACTIONS = {
    "kill": (TradingStateName.HALTED, "HALT trading (kill switch); a reason is required"),
    "reduce": (TradingStateName.REDUCING, "REDUCING: only orders that reduce exposure go out; a reason is required"),
    "resume": (TradingStateName.ACTIVE, "Resume trading (ACTIVE); a reason is required"),
}
_bearer = HTTPBearer(auto_error=False, description="PAIRS_API_TOKEN")


def token_ok(expected: str, given: str | None) -> bool:
    """True if a token is configured and ``given`` equals it (constant-time comparison)."""
    if not expected or not given:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _change(desk: Desk, state: TradingStateName, body: S.StateChangeIn) -> S.TradingStateResponse:
    try:
        return desk.change_state(state, body)
    except (UnsupportedStateChange, ValueError, ExecutionInputError) as exc:  # the body was valid: 409
        raise HTTPException(409, f"not changed: {exc}") from exc


def _read_routes(app: FastAPI, desk: Desk) -> None:
    app.get("/api/positions", response_model=S.PositionsResponse, tags=["positions"],
            summary="Positions against targets, per instrument and per pair leg")(desk.positions)
    app.get("/api/fills", response_model=S.FillsResponse, tags=["orders"], summary="All fills")(desk.fills)
    app.get("/api/pnl", response_model=S.PnlResponse, tags=["pnl"],
            summary="Daily and cumulative P&L marked to cleaned closes, against the backtest")(desk.pnl)
    app.get("/api/exposure", response_model=S.ExposureResponse, tags=["risk"],
            summary="Gross, net and per-asset-class exposure")(desk.exposure)
    app.get("/api/signals", response_model=S.SignalsResponse, tags=["strategy"],
            summary="The newest session's signals")(desk.signals)
    app.get("/api/universe", response_model=S.UniverseResponse, tags=["strategy"],
            summary="The pairs trading now")(desk.universe)
    app.get("/api/freshness", response_model=S.FreshnessResponse, tags=["health"],
            summary="Last cleaned-price session against the expected one")(lambda: desk.freshness())
    app.get("/api/model-health", response_model=S.ModelHealthResponse, tags=["health"],
            summary="Champion model version and drift status")(desk.model_health)

    @app.get("/api/orders", response_model=S.OrdersResponse, tags=["orders"], summary="Orders and refusals")
    def orders(as_of: dt.date | None = Query(None, description="only this session")) -> S.OrdersResponse:
        return desk.orders(as_of)

    @app.get("/api/trading-state", response_model=S.TradingStateResponse, tags=["trading state"],
             summary="Current trading state and its history")
    def trading_state(limit: int = Query(50, ge=1, le=1000)) -> S.TradingStateResponse:
        return desk.trading_state(limit)

    @app.get("/api/alerts", response_model=S.AlertsResponse, tags=["health"], summary="Recent alerts")
    def alerts(limit: int = Query(50, ge=1, le=1000)) -> S.AlertsResponse:
        return desk.recent_alerts(limit)


def _write_routes(app: FastAPI, desk: Desk, token: str) -> None:
    def authorized(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)) -> None:
        if not token:
            raise HTTPException(503, DISABLED)
        if credentials is None or not token_ok(token, credentials.credentials):
            raise HTTPException(401, "missing or wrong bearer token", headers={"WWW-Authenticate": "Bearer"})

    for action, (state, summary) in ACTIONS.items():
        def change(body: S.StateChangeIn, state: TradingStateName = state) -> S.TradingStateResponse:
            return _change(desk, state, body)

        app.post(f"/api/trading-state/{action}", response_model=S.TradingStateResponse, responses=WRITE_ERRORS,
                 tags=["trading state"], summary=summary, dependencies=[Depends(authorized)],
                 operation_id=f"trading_state_{action}")(change)


def _page_routes(app: FastAPI, desk: Desk, token: str) -> None:
    @app.get("/", response_class=HTMLResponse, tags=["dashboard"], summary="The desk dashboard")
    def dashboard(message: str = Query("", max_length=300)) -> HTMLResponse:
        return HTMLResponse(render_dashboard(desk, message=message, writes_enabled=bool(token)))

    @app.post("/actions/{action}", response_class=HTMLResponse, include_in_schema=False)
    async def form_action(action: str, request: Request):
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode("utf-8", "replace")).items()}
        if action not in ACTIONS:
            return PlainTextResponse(f"unknown action {action!r}", status_code=404)
        if not token:
            return PlainTextResponse(DISABLED, status_code=503)
        if not token_ok(token, form.get("token")):
            return PlainTextResponse("wrong token", status_code=401)
        try:
            body = S.StateChangeIn(reason=form.get("reason", ""), actor=form.get("actor") or "dashboard")
            _change(desk, ACTIONS[action][0], body)
        except ValueError as exc:  # pydantic's ValidationError: empty reason or actor
            return PlainTextResponse(f"not changed: {exc}", status_code=422)
        except HTTPException as exc:
            return PlainTextResponse(str(exc.detail), status_code=exc.status_code)
        return RedirectResponse(f"/?message={action}+done", status_code=303)

    @app.get("/metrics", response_class=PlainTextResponse, tags=["health"], summary="Prometheus metrics")
    def metrics() -> PlainTextResponse:
        body, content_type = render_metrics(desk)
        return PlainTextResponse(body, media_type=content_type)


def create_app(desk: Desk, token: str) -> FastAPI:
    """The desk application over ``desk``; ``token`` empty disables the write endpoints."""
    app = FastAPI(title="pairs_platform desk", version="1.0",
                  description="Operate the desk: positions, orders, P&L, exposure, trading state, health.")

    @app.get("/api/health", response_model=S.Health, tags=["health"], summary="Liveness and backends")
    def health() -> S.Health:
        try:
            desk.model.trading_state()
            ledger = "ok"
        except Exception as exc:  # the health endpoint reports, it does not fail
            ledger = f"error: {type(exc).__name__}"
        store = "ok" if desk.model.last_price_session() is not None else "empty"
        return S.Health(status="ok" if ledger == "ok" else "degraded", ledger=ledger, asset_store=store,
                        time=dt.datetime.now(dt.UTC).replace(tzinfo=None))

    _read_routes(app, desk)
    _write_routes(app, desk, token)
    _page_routes(app, desk, token)

    return app
