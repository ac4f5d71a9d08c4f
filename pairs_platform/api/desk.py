"""The desk service: builds every typed view from a :class:`DeskReadModel` (API, dashboard and
metrics all read through here, so they never disagree)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pairs_platform.alerts import AlertManager, AlertRecorder, trading_state_changed
from pairs_platform.api import schemas as S
from pairs_platform.api import views
from pairs_platform.api.readmodel import DeskReadModel, StateChangeRequest, TradingState, TradingStateName

DRIFT_STATUS = "not computed"


def records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts with NaN/NaT as None (JSON has no NaN)."""
    if frame.empty:
        return []
    clean = frame.astype(object).where(frame.notna(), None)
    return clean.to_dict("records")


def _num(value) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def _state_out(state: TradingState) -> S.TradingStateOut:
    return S.TradingStateOut(state=state.state.value, scope=state.scope, reason=state.reason, actor=state.actor,
                             at=state.at)


@dataclass
class Desk:
    """Typed views over ``model``; state changes are announced through ``alerts``."""

    model: DeskReadModel
    alerts: AlertManager
    recorder: AlertRecorder
    capital: float
    model_name: str

    def _as_of(self) -> pd.Timestamp | None:
        signals = self.model.signals()
        return pd.Timestamp(pd.to_datetime(signals["date"]).max()) if len(signals) else None

    def latest_closes(self) -> pd.Series:
        """Newest close per instrument, from the last few weeks of the store."""
        last = self.model.last_price_session()
        if last is None:
            return pd.Series(dtype="float64")
        return views.latest_closes(self.model.closes((pd.Timestamp(last) - pd.Timedelta(days=21)).date()))

    def positions(self) -> S.PositionsResponse:
        as_of, targets = self._as_of(), self.model.target_positions()
        positions, instruments = self.model.positions(), self.model.instruments()
        net = positions.groupby("instrument_id")["quantity"].sum() if len(positions) else pd.Series(dtype="float64")
        day = targets[pd.to_datetime(targets["date"]) == as_of] if len(targets) and as_of is not None else None
        target = day.groupby("instrument_id")["units"].sum() if day is not None else pd.Series(dtype="float64")
        ids = sorted(set(net.index) | set(target.index))
        closes = self.latest_closes()
        mult = views.multipliers(instruments, ids)
        classes = instruments["asset_class"] if "asset_class" in instruments else pd.Series(dtype="str")
        rows = []
        for iid in ids:  # one row per held or targeted instrument (tens), not per bar
            pos, tgt, price = float(net.get(iid, 0.0)), float(target.get(iid, 0.0)), _num(closes.get(iid))
            rows.append(S.InstrumentPosition(
                instrument_id=iid, asset_class=str(classes.get(iid, "unknown")), position=pos, target=tgt,
                difference=tgt - pos, price=price, market_value=None if price is None else pos * price * mult[iid]))
        legs = views.leg_rows(self.model.pair_universe(), targets, self.model.signals(), net, as_of)
        return S.PositionsResponse(as_of=None if as_of is None else as_of.date(), instruments=rows,
                                   legs=[S.LegPosition(**r) for r in records(legs)])

    def orders(self, as_of: dt.date | None = None) -> S.OrdersResponse:
        orders, refusals = self.model.orders(), self.model.refusals()
        if as_of is not None:
            orders = orders[pd.to_datetime(orders["as_of"]).dt.date == as_of]
            refusals = refusals[pd.to_datetime(refusals["as_of"]).dt.date == as_of]
        return S.OrdersResponse(as_of=as_of, orders=[S.OrderOut(**r) for r in records(orders)],
                                refusals=[S.RefusalOut(**r) for r in records(refusals)])

    def latest_order_session(self) -> dt.date | None:
        orders = self.model.orders()
        return None if orders.empty else pd.Timestamp(orders["as_of"].max()).date()

    def fills(self) -> S.FillsResponse:
        fills = self.model.fills().drop(columns=["signed_quantity", "created_at"], errors="ignore")
        return S.FillsResponse(fills=[S.FillOut(**r) for r in records(fills)])

    def pnl(self) -> S.PnlResponse:
        fills = self.model.fills()
        since = None if fills.empty else (pd.Timestamp(fills["date"].min()) - pd.Timedelta(days=10)).date()
        table = views.live_equity(fills, self.model.closes(since), self.model.instruments(), self.capital)
        bench = self.model.backtest_equity(None if fills.empty else pd.Timestamp(fills["date"].min()).date())
        if bench is not None and len(table):
            table["backtest_cumulative_pnl"] = views.rebased_cumulative(bench.values, table.index).to_numpy()
        else:
            table["backtest_cumulative_pnl"] = np.nan
        points = [S.PnlPoint(date=d.date(), **{k: (v if k != "backtest_cumulative_pnl" else _num(v))
                                               for k, v in row.items()})
                  for d, row in table.iterrows()]
        last = table.iloc[-1] if len(table) else None
        return S.PnlResponse(
            capital=self.capital, points=points,
            total_pnl=0.0 if last is None else float(last["cumulative_pnl"]),
            current_drawdown=0.0 if last is None else float(last["drawdown"]),
            max_drawdown=float(table["drawdown"].min()) if len(table) else 0.0,
            backtest_total_pnl=None if last is None else _num(last["backtest_cumulative_pnl"]),
            backtest_source=None if bench is None else bench.source)

    def exposure(self) -> S.ExposureResponse:
        positions, instruments = self.model.positions(), self.model.instruments()
        table, totals = views.exposure(positions, self.latest_closes(), instruments, self.capital)
        cap = self.capital
        classes = [S.ClassExposure(asset_class=str(c), gross=float(r["gross"]), net=float(r["net"]),
                                   gross_fraction=float(r["gross"]) / cap, net_fraction=float(r["net"]) / cap)
                   for c, r in totals["by_class"].iterrows()]
        rows = [S.InstrumentExposure(instrument_id=str(i), asset_class=r["asset_class"], quantity=float(r["quantity"]),
                                     price=_num(r["price"]), market_value=_num(r["market_value"]))
                for i, r in table.iterrows()]
        return S.ExposureResponse(capital=cap, gross=totals["gross"], net=totals["net"],
                                  gross_fraction=totals["gross"] / cap, net_fraction=totals["net"] / cap,
                                  by_asset_class=classes, instruments=rows, unpriced=totals["unpriced"])

    def trading_state(self, limit: int = 50) -> S.TradingStateResponse:
        return S.TradingStateResponse(current=_state_out(self.model.trading_state()),
                                      history=[_state_out(s) for s in self.model.trading_state_history(limit)])

    def change_state(self, state: TradingStateName, change: S.StateChangeIn) -> S.TradingStateResponse:
        """Set the trading state (reason required) and announce it through the alert channels."""
        self.model.set_trading_state(StateChangeRequest(state, change.reason, change.actor))
        self.alerts.notify(trading_state_changed(state.value, change.reason.strip(), change.actor.strip()))
        return self.trading_state()

    def signals(self) -> S.SignalsResponse:
        signals, as_of = self.model.signals(), self._as_of()
        latest = signals[pd.to_datetime(signals["date"]) == as_of] if as_of is not None else signals
        return S.SignalsResponse(as_of=None if as_of is None else as_of.date(),
                                 signals=[S.SignalOut(**r) for r in records(latest)])

    def universe(self) -> S.UniverseResponse:
        as_of = self._as_of()
        pairs = views.current_universe(self.model.pair_universe(), as_of)
        rows = [S.PairOut(pair_id=r["pair_id"], window_id=r.get("window_id"), y=r["y"], x=r["x"],
                          hedge_ratio=r.get("beta"), half_life=r.get("half_life"),
                          trade_start=r.get("trade_start"), trade_end=r.get("trade_end")) for r in records(pairs)]
        return S.UniverseResponse(as_of=None if as_of is None else as_of.date(), pairs=rows)

    def freshness(self, now: dt.datetime | None = None) -> S.FreshnessResponse:
        last, expected = self.model.last_price_session(), views.expected_session(now)
        behind = views.sessions_behind(last, expected)
        return S.FreshnessResponse(last_session=last, expected_session=expected, sessions_behind=behind,
                                   stale=behind is None or behind > 0)

    def model_health(self) -> S.ModelHealthResponse:
        return S.ModelHealthResponse(model_name=self.model_name, champion_version=self.model.champion_model(),
                                     drift_status=DRIFT_STATUS)

    def recent_alerts(self, limit: int = 50) -> S.AlertsResponse:
        return S.AlertsResponse(alerts=[S.AlertOut(**{k: v for k, v in vars(r).items() if k != "dedupe_key"})
                                        for r in self.recorder.recent(limit)])
