"""Default :class:`~pairs_platform.api.readmodel.DeskReadModel`: today's SQL ledger + Parquet asset store.

- Trading state: the ledger's kill switch (engaged = HALTED, released = ACTIVE); its history is the
  current state only (the kill switch keeps no history); REDUCING is not supported.
- Refusals: rejected and cancelled orders with their reasons.
- Assets: ``<store>/<name>.parquet`` (unpartitioned) and ``<store>/cleaned_prices/<YYYY-MM-DD>.parquet``
  (one file per session); nothing is unpickled, so the backtest's own equity (a pickled
  ``BacktestResult``) is replaced by the equity of holding ``target_positions`` marked to the same
  closes, gross of costs (labelled as such).
"""
from __future__ import annotations

import datetime as dt
import re
import socket
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from pairs_platform.api import views
from pairs_platform.api.readmodel import (
    REFUSAL_COLUMNS, EquityCurve, StateChangeRequest, TradingState, TradingStateName, UnsupportedStateChange,
)
from pairs_platform.execution.ledger import Ledger
from pairs_platform.tracking.models import DEFAULT_ALIAS

_SESSION_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.parquet$")
_ACTOR_REASON = re.compile(r"^\[(?P<actor>[^\]]+)\] (?P<reason>.*)$", re.S)
PRICE_COLUMNS = ["date", "instrument_id", "close"]
UNKNOWN = "unknown"
BACKTEST_SOURCE = "target_positions held from the next close, marked to cleaned closes, gross of costs"


class LedgerStoreReadModel:
    """Reads ``ledger`` and the Parquet store under ``asset_store``; champion from ``mlflow_uri``."""

    def __init__(self, ledger: Ledger, asset_store: Path, mlflow_uri: str = "", model_name: str = "",
                 capital: float = 1.0) -> None:
        self.ledger, self.store = ledger, Path(asset_store)
        self.mlflow_uri, self.model_name, self.capital = mlflow_uri, model_name, capital
        self._files: dict[Path, tuple[float, pd.DataFrame]] = {}
        self._champion: tuple[float, str] = (0.0, UNKNOWN)
        self._lock = threading.Lock()

    # ---- ledger --------------------------------------------------------------------------
    def orders(self) -> pd.DataFrame:
        return self.ledger.orders_frame()

    def fills(self) -> pd.DataFrame:
        return self.ledger.fills_frame()

    def positions(self) -> pd.DataFrame:
        return self.ledger.positions_frame()

    def refusals(self) -> pd.DataFrame:
        orders = self.orders()
        refused = orders[orders["status"].isin(["rejected", "cancelled"])]
        return refused.rename(columns={"updated_at": "at"})[REFUSAL_COLUMNS].reset_index(drop=True)

    def trading_state(self) -> TradingState:
        switch = self.ledger.kill_switch()
        match = _ACTOR_REASON.match(switch.reason or "")
        actor, reason = (match["actor"], match["reason"]) if match else ("", switch.reason or "")
        state = TradingStateName.HALTED if switch.engaged else TradingStateName.ACTIVE
        return TradingState(state, reason, actor, switch.at)

    def trading_state_history(self, limit: int = 50) -> list[TradingState]:
        return [self.trading_state()][:max(limit, 0)]

    def set_trading_state(self, request: StateChangeRequest) -> TradingState:
        if request.state is TradingStateName.HALTED:
            self.ledger.engage_kill_switch(f"[{request.actor}] {request.reason}")
        elif request.state is TradingStateName.ACTIVE:
            self.ledger.release_kill_switch()
        else:
            raise UnsupportedStateChange(
                f"this ledger has a kill switch only (ACTIVE/HALTED); {request.state.value} needs the "
                "trading-state ledger")
        return self.trading_state()

    # ---- asset store ---------------------------------------------------------------------
    def _cached(self, path: Path, columns: list[str] | None = None) -> pd.DataFrame | None:
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        with self._lock:
            hit = self._files.get(path)
        if hit is not None and hit[0] == mtime:
            return hit[1]
        frame = pd.read_parquet(path, columns=columns)
        with self._lock:
            self._files[path] = (mtime, frame)
        return frame

    def _asset(self, name: str) -> pd.DataFrame:
        frame = self._cached(self.store / f"{name}.parquet")
        return pd.DataFrame() if frame is None else frame

    def target_positions(self) -> pd.DataFrame:
        return self._asset("target_positions")

    def signals(self) -> pd.DataFrame:
        return self._asset("signals")

    def pair_universe(self) -> pd.DataFrame:
        return self._asset("pair_universe")

    def instruments(self) -> pd.DataFrame:
        return self._asset("instruments")

    def _session_files(self) -> list[tuple[dt.date, Path]]:
        root = self.store / "cleaned_prices"
        if not root.is_dir():
            return []
        found = [(m.group(1), p) for p in root.iterdir() if (m := _SESSION_FILE.match(p.name))]
        return [(dt.date.fromisoformat(day), path) for day, path in sorted(found)]

    def closes(self, since: dt.date | None = None) -> pd.DataFrame:
        parts = [self._session_closes(day, path) for day, path in self._session_files()
                 if since is None or day >= since]
        parts = [p for p in parts if len(p)]
        if not parts:
            return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype="float64")
        bars = pd.concat(parts, ignore_index=True)
        wide = bars.pivot_table(index="session", columns="instrument_id", values="close", aggfunc="last")
        wide.index = pd.DatetimeIndex(wide.index, name="date")
        return wide.sort_index()

    def _session_closes(self, day: dt.date, path: Path) -> pd.DataFrame:
        bars = self._cached(path, PRICE_COLUMNS)
        if bars is None or bars.empty:
            return pd.DataFrame(columns=["session", "instrument_id", "close"])
        bars = bars.sort_values("date", kind="stable")  # weekend crypto bars: the session's last one wins
        return pd.DataFrame({"session": pd.Timestamp(day), "instrument_id": bars["instrument_id"].to_numpy(),
                             "close": bars["close"].astype("float64").to_numpy()})

    def last_price_session(self) -> dt.date | None:
        files = self._session_files()
        return files[-1][0] if files else None

    def backtest_equity(self, since: dt.date | None = None) -> EquityCurve | None:
        targets = self.target_positions()
        if targets.empty:
            return None
        if since is not None:
            start = pd.Timestamp(since) - pd.Timedelta(days=10)  # a few sessions before: the base of the rebase
            targets = targets[pd.to_datetime(targets["date"]) >= start]
        closes = self.closes(None if since is None else (pd.Timestamp(since) - pd.Timedelta(days=10)).date())
        values = views.holdings_equity(targets, closes, self.instruments(), self.capital)
        return None if values.empty else EquityCurve(values, BACKTEST_SOURCE)

    def champion_model(self) -> str:
        at, cached = self._champion
        if time.monotonic() - at < 60 and at:
            return cached
        version = champion_version(self.mlflow_uri, self.model_name)
        self._champion = (time.monotonic(), version)
        return version


def _reachable(uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.scheme == "sqlite":
        return Path(uri.removeprefix("sqlite:///")).exists()  # never create an empty store
    if parts.scheme in ("http", "https"):
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname, port), timeout=1.0):
                return True
        except OSError:
            return False
    return parts.scheme in ("file", "databricks", "postgresql", "mysql") or Path(uri).exists()


def champion_version(uri: str, model_name: str, alias: str = DEFAULT_ALIAS) -> str:
    """Version of ``model_name@alias`` in the MLflow registry at ``uri``, or ``"unknown"``."""
    if not uri or not model_name or not _reachable(uri):
        return UNKNOWN
    try:
        from mlflow import MlflowClient

        return str(MlflowClient(tracking_uri=uri, registry_uri=uri).get_model_version_by_alias(model_name, alias).version)
    except Exception:  # an unreachable or empty registry is "unknown", not an API error
        return UNKNOWN
