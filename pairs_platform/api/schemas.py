"""Typed responses of the desk API (pydantic): they make the OpenAPI schema meaningful.

Money is in the account currency (USD); fractions are of capital (0.1234 = 12.34%); dates are
sessions; timestamps are UTC (RFC 3339). A missing number is ``null``, never NaN.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field


def _utc(value: dt.datetime) -> dt.datetime:
    """Naive timestamps are UTC: say so, so that the JSON is RFC 3339 (``...+00:00``)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


UtcDateTime = Annotated[dt.datetime, AfterValidator(_utc)]


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    ledger: str
    asset_store: str
    time: UtcDateTime


class InstrumentPosition(BaseModel):
    instrument_id: str
    asset_class: str
    position: float
    target: float
    difference: float = Field(description="target - position: what the next rebalance trades")
    price: float | None
    market_value: float | None


class LegPosition(BaseModel):
    pair_id: str
    leg: Literal["y", "x"]
    instrument_id: str
    target_units: float
    instrument_position: float = Field(description="the instrument's net ledger position (all pairs)")
    z: float | None
    hedge_ratio: float | None
    entry_allowed: bool | None


class PositionsResponse(BaseModel):
    as_of: dt.date | None = Field(description="session of the targets and signals shown")
    instruments: list[InstrumentPosition]
    legs: list[LegPosition]


class OrderOut(BaseModel):
    client_order_id: str
    strategy_id: str
    as_of: dt.date
    instrument_id: str
    side: str
    quantity: float
    order_type: str
    limit_price: float | None
    reference_price: float | None
    status: str
    filled_quantity: float
    broker: str | None
    broker_order_id: str | None
    reason: str | None
    created_at: UtcDateTime
    updated_at: UtcDateTime


class RefusalOut(BaseModel):
    as_of: dt.date
    instrument_id: str
    client_order_id: str
    status: str
    reason: str | None
    at: UtcDateTime | None


class OrdersResponse(BaseModel):
    as_of: dt.date | None = Field(description="the session filter applied (null: all sessions)")
    orders: list[OrderOut]
    refusals: list[RefusalOut]


class FillOut(BaseModel):
    fill_id: str
    client_order_id: str
    strategy_id: str
    instrument_id: str
    date: dt.date
    side: str
    quantity: float
    price: float
    commission: float
    slippage_cost: float


class FillsResponse(BaseModel):
    fills: list[FillOut]


class PnlPoint(BaseModel):
    date: dt.date
    equity: float
    daily_pnl: float
    cumulative_pnl: float
    drawdown: float = Field(description="equity / running peak - 1 (<= 0)")
    backtest_cumulative_pnl: float | None


class PnlResponse(BaseModel):
    capital: float
    total_pnl: float
    current_drawdown: float
    max_drawdown: float
    backtest_total_pnl: float | None
    backtest_source: str | None
    points: list[PnlPoint]


class ClassExposure(BaseModel):
    asset_class: str
    gross: float
    net: float
    gross_fraction: float
    net_fraction: float


class InstrumentExposure(BaseModel):
    instrument_id: str
    asset_class: str
    quantity: float
    price: float | None
    market_value: float | None


class ExposureResponse(BaseModel):
    capital: float
    gross: float
    net: float
    gross_fraction: float
    net_fraction: float
    by_asset_class: list[ClassExposure]
    instruments: list[InstrumentExposure]
    unpriced: list[str] = Field(description="held instruments without a close (left out of the totals)")


class TradingStateOut(BaseModel):
    state: Literal["ACTIVE", "REDUCING", "HALTED"]
    scope: str = Field(description="'global' or a strategy id")
    reason: str
    actor: str
    at: UtcDateTime | None


class TradingStateResponse(BaseModel):
    current: TradingStateOut
    history: list[TradingStateOut]


class StateChangeIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, pattern=r"\S", description="why (required, e.g. 'DD > 10%')")
    actor: str = Field(default="api", min_length=1, max_length=100, pattern=r"\S", description="who")


class SignalOut(BaseModel):
    date: dt.date
    pair_id: str
    spread: float | None
    z: float | None
    entry_zone: bool
    ml_proba: float | None
    ml_accept: bool
    regime_ok: bool
    entry_allowed: bool


class SignalsResponse(BaseModel):
    as_of: dt.date | None
    signals: list[SignalOut]


class PairOut(BaseModel):
    pair_id: str
    window_id: int | None
    y: str
    x: str
    hedge_ratio: float | None
    half_life: float | None
    trade_start: dt.date | None
    trade_end: dt.date | None


class UniverseResponse(BaseModel):
    as_of: dt.date | None
    pairs: list[PairOut]


class FreshnessResponse(BaseModel):
    last_session: dt.date | None
    expected_session: dt.date
    sessions_behind: int | None
    stale: bool


class ModelHealthResponse(BaseModel):
    model_name: str
    champion_version: str = Field(description="version behind the 'champion' alias, or 'unknown'")
    drift_status: str


class AlertOut(BaseModel):
    id: int
    created_at: UtcDateTime
    kind: str
    severity: str
    title: str
    body: str
    status: str
    channels: str


class AlertsResponse(BaseModel):
    alerts: list[AlertOut]


class ErrorOut(BaseModel):
    detail: str
