"""Default :class:`~pairs_platform.api.readmodel.DeskReadModel`: the SQL ledger + the asset store.

- Trading state: the ledger's trading states (``active`` / ``reducing`` / ``halted`` per scope, with
  who, when and why); the desk's current state is the most restrictive over the global scope and
  every strategy scope ever set; changes go through :meth:`Ledger.set_trading_state` on the global
  scope, the same rule as ``pairs-platform kill/resume``.
- Refusals: the ledger's ``refusals`` table (the risk engine's check name and detail).
- Assets: :class:`~pairs_platform.store.AssetStore` (safe formats only, nothing unpickled), cached by
  file modification time; the backtest's equity is ``backtest_results.equity``, net of costs.
- The ledger is opened read-side without migrating: a missing or older schema is refused with the fix
  (a read service must not change a production database's schema behind the operators' back).
"""
from __future__ import annotations

import datetime as dt
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy.engine import make_url

from pairs_platform.api.readmodel import (
    REFUSAL_COLUMNS, EquityCurve, StateChangeRequest, TradingState, TradingStateName,
)
from pairs_platform.execution.errors import LedgerSchemaError
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.ledger_schema import GLOBAL_SCOPE, MIGRATIONS
from pairs_platform.execution.ledger_state import TradingState as LedgerState, TradingStateRecord
from pairs_platform.store import AssetStore
from pairs_platform.tracking.models import DEFAULT_ALIAS, ENTRY_FILTER_MODEL

PRICE_COLUMNS = ["date", "instrument_id", "close"]
PRICES = ["cleaned_prices"]
BACKTEST = ["backtest_results"]
UNKNOWN = "unknown"
GLOBAL = "global"  # the desk's name of the ledger's global scope ('*')
BACKTEST_SOURCE = "backtest_results: the backtest's own equity, net of costs"
_RANK = {name: i for i, name in enumerate(TradingStateName)}  # ACTIVE < REDUCING < HALTED
LEDGER_FIX = ("run `make demo` (or any pipeline run), or open it once with "
              "pairs_platform.execution.Ledger(url) / `pairs-platform status --ledger-url URL`, to create "
              "and migrate it")


def open_ledger_for_reading(url: str) -> Ledger:
    """The ledger at ``url``, opened without migrating.

    Raises
    ------
    LedgerSchemaError
        If the database (a SQLite file) does not exist, or its schema is older or newer than this
        code's (``len(MIGRATIONS)``); the message names the URL and the fix.
    """
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:") \
            and not Path(parsed.database).expanduser().exists():
        raise LedgerSchemaError(f"ledger {shown} does not exist: {LEDGER_FIX}")
    ledger = Ledger(url, migrate=False)
    have, want = ledger.schema_version(), len(MIGRATIONS)
    if have != want:
        ledger.close()
        raise LedgerSchemaError(f"ledger {shown} has schema version {have}, this code needs {want}: "
                                + (LEDGER_FIX if have < want else "upgrade pairs_platform"))
    return ledger


def desk_state(record: TradingStateRecord) -> TradingState:
    """The ledger's trading-state record as the desk's :class:`TradingState`."""
    scope = GLOBAL if record.scope == GLOBAL_SCOPE else record.scope
    return TradingState(TradingStateName(record.state.value.upper()), record.reason, record.who, record.at, scope)


class LedgerStoreReadModel:
    """Reads ``ledger`` and the asset store ``store``; the champion of ``model_name`` from ``mlflow_uri``."""

    def __init__(self, ledger: Ledger, store: AssetStore | str | Path, mlflow_uri: str = "",
                 model_name: str = ENTRY_FILTER_MODEL) -> None:
        self.ledger = ledger
        self.store = store if isinstance(store, AssetStore) else AssetStore(store)
        self.mlflow_uri, self.model_name = mlflow_uri, model_name
        self._cache: dict[str, tuple[Any, Any]] = {}
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
        frame = self.ledger.refusals_frame()
        out = frame.rename(columns={"check_name": "status", "detail": "reason", "created_at": "at"})
        return out[REFUSAL_COLUMNS].reset_index(drop=True)

    def trading_state(self) -> TradingState:
        history = self.ledger.trading_state_history()
        scopes = [None, *sorted(set(history["scope"]) - {GLOBAL_SCOPE})]
        states = [desk_state(self.ledger.trading_state(scope)) for scope in scopes]
        return max(states, key=lambda s: _RANK[s.state])  # the first (global) wins a tie

    def trading_state_history(self, limit: int = 50) -> list[TradingState]:
        history = self.ledger.trading_state_history().iloc[::-1].head(max(limit, 0))
        return [desk_state(TradingStateRecord(LedgerState(r.state), r.scope, r.who, r.reason,
                                              pd.Timestamp(r.at).to_pydatetime()))
                for r in history.itertuples(index=False)]

    def set_trading_state(self, request: StateChangeRequest) -> TradingState:
        self.ledger.set_trading_state(LedgerState(request.state.value.lower()), request.actor, request.reason)
        return self.trading_state()

    # ---- asset store ---------------------------------------------------------------------
    def _cached(self, name: str, path, load: Callable[[], Any]) -> Any:
        """``load()``, reused while ``path``'s modification time is unchanged (None: no such path)."""
        try:
            stamp = path.stat().st_mtime
        except (FileNotFoundError, AttributeError):
            return None
        with self._lock:
            hit = self._cache.get(name)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        value = load()
        with self._lock:
            self._cache[name] = (stamp, value)
        return value

    def _stamp_path(self, key: list[str]):
        where = self.store.stored(key)
        if where is None:
            return None
        manifest = where.path / "manifest.json"  # a folder (dataclass) is rewritten with its manifest
        return manifest if manifest.exists() else where.path

    def _asset(self, name: str) -> pd.DataFrame:
        path = self._stamp_path([name])
        frame = None if path is None else self._cached(name, path, lambda: self.store.load([name]))
        return pd.DataFrame() if frame is None else frame

    def target_positions(self) -> pd.DataFrame:
        return self._asset("target_positions")

    def signals(self) -> pd.DataFrame:
        return self._asset("signals")

    def pair_universe(self) -> pd.DataFrame:
        return self._asset("pair_universe")

    def instruments(self) -> pd.DataFrame:
        return self._asset("instruments")

    def _price_keys(self) -> list[str]:
        """Stored partition keys of the cleaned prices (months ``YYYY-MM``, or sessions)."""
        return self.store.partition_keys(PRICES)

    def closes(self, since: dt.date | None = None) -> pd.DataFrame:
        floor = None if since is None else since.isoformat()
        keys = [k for k in self._price_keys() if floor is None or k >= floor[:len(k)]]
        parts = [p for p in (self._partition_closes(k) for k in keys) if p is not None and len(p)]
        if not parts:
            return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype="float64")
        bars = pd.concat(parts, ignore_index=True)
        if since is not None:
            bars = bars[bars["session"] >= pd.Timestamp(since)]
        wide = bars.pivot_table(index="session", columns="instrument_id", values="close", aggfunc="last")
        wide.index = pd.DatetimeIndex(wide.index, name="date")
        return wide.sort_index()

    def _partition_closes(self, key: str) -> pd.DataFrame | None:
        return self._cached(f"cleaned_prices/{key}", self.store.path_for(PRICES) / f"{key}.parquet",
                            lambda: _closes_of(self.store.load_partitions(PRICES, [key])))

    def last_price_session(self) -> dt.date | None:
        keys = self._price_keys()
        closes = self._partition_closes(keys[-1]) if keys else None
        return None if closes is None or closes.empty else pd.Timestamp(closes["session"].max()).date()

    def backtest_equity(self, since: dt.date | None = None) -> EquityCurve | None:
        path = self._stamp_path(BACKTEST)
        result = None if path is None else self._cached("backtest_results", path, lambda: self.store.load(BACKTEST))
        if result is None or result.equity.empty:
            return None
        equity = result.equity.astype("float64")
        equity.index = pd.DatetimeIndex(pd.to_datetime(equity.index), name="date")
        return EquityCurve(equity.sort_index(), BACKTEST_SOURCE)

    def champion_model(self) -> str:
        at, cached = self._champion
        if time.monotonic() - at < 60 and at:
            return cached
        version = champion_version(self.mlflow_uri, self.model_name)
        self._champion = (time.monotonic(), version)
        return version


def _closes_of(bars: pd.DataFrame) -> pd.DataFrame:
    """Closes per session and instrument of a stored partition (a session's last bar per instrument
    wins: weekend crypto bars)."""
    if bars.empty:
        return pd.DataFrame(columns=["session", "instrument_id", "close"])
    bars = bars.sort_values("date", kind="stable")
    return pd.DataFrame({"session": pd.to_datetime(bars["session"]).to_numpy(),
                         "instrument_id": bars["instrument_id"].to_numpy(),
                         "close": bars["close"].astype("float64").to_numpy()})


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
