"""The desk's read model: everything the API, dashboard and metrics read, behind ONE protocol.

The default implementation (:mod:`pairs_platform.api.store_readmodel`) reads the SQL ledger (orders,
fills, positions, trading states with their history, refusals) and the asset store; another backend
plugs in by implementing :class:`DeskReadModel`, and nothing above it changes.

Frames follow the ledger's and assets' contracts:

- ``orders()``: ``pairs_platform.execution.ledger_frames.ORDER_COLUMNS``;
- ``fills()``: ``FILL_COLUMNS``; ``positions()``: ``POSITION_COLUMNS``;
- ``refusals()``: ``REFUSAL_COLUMNS`` below (``status``: the refusing check's name; ``reason``: its detail);
- ``target_positions()``: date, pair_id, leg, instrument_id, units;
- ``signals()``: date, pair_id, spread, z, entry_zone, ml_proba, ml_accept, regime_ok, entry_allowed;
- ``pair_universe()``: the pair schedule (window_id, trade_start, trade_end, y, x, beta, half_life, ...);
- ``instruments()``: indexed by instrument_id with asset_class and multiplier;
- ``closes(since)``: wide, one row per session (DatetimeIndex), one column per instrument (traded closes).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

import pandas as pd

REFUSAL_COLUMNS = ["as_of", "instrument_id", "client_order_id", "status", "reason", "at"]


class TradingStateName(StrEnum):
    """ACTIVE trades normally; REDUCING only reduces exposure; HALTED sends nothing."""

    ACTIVE = "ACTIVE"
    REDUCING = "REDUCING"
    HALTED = "HALTED"


@dataclass(frozen=True)
class TradingState:
    """A trading state and who set it, when and why (``at`` is naive UTC; None if never set), for a
    ``scope``: ``"global"`` or one strategy id."""

    state: TradingStateName
    reason: str
    actor: str
    at: dt.datetime | None
    scope: str = "global"


@dataclass(frozen=True)
class StateChangeRequest:
    """A request to change the trading state; ``reason`` and ``actor`` are required."""

    state: TradingStateName
    reason: str
    actor: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "state", TradingStateName(self.state))
        if not self.reason.strip() or not self.actor.strip():
            raise ValueError(f"changing the trading state to {self.state.value} needs a reason and an actor "
                             "(who/why), e.g. reason='risk breach: DD > 10%', actor='jane'")


class UnsupportedStateChange(RuntimeError):
    """The read model's backend cannot take this trading state (the API answers 409)."""


@dataclass(frozen=True)
class EquityCurve:
    """An equity curve (naive dates -> money) and where it came from (shown beside it)."""

    values: pd.Series
    source: str


@runtime_checkable
class DeskReadModel(Protocol):
    """What the desk reads (and the one thing it writes: the trading state)."""

    def orders(self) -> pd.DataFrame:
        """All orders (ledger ORDER_COLUMNS)."""
        ...

    def fills(self) -> pd.DataFrame:
        """All fills (ledger FILL_COLUMNS)."""
        ...

    def positions(self) -> pd.DataFrame:
        """Non-flat positions per (strategy_id, instrument_id) (ledger POSITION_COLUMNS)."""
        ...

    def refusals(self) -> pd.DataFrame:
        """Orders the risk engine refused, with the check and its detail (REFUSAL_COLUMNS)."""
        ...

    def trading_state(self) -> TradingState:
        """The current trading state."""
        ...

    def trading_state_history(self, limit: int = 50) -> list[TradingState]:
        """Past and current trading states, newest first."""
        ...

    def set_trading_state(self, request: StateChangeRequest) -> TradingState:
        """Change the trading state (raises :class:`UnsupportedStateChange` if the backend cannot)."""
        ...

    def target_positions(self) -> pd.DataFrame:
        """The target_positions asset (empty frame if not materialized)."""
        ...

    def signals(self) -> pd.DataFrame:
        """The signals asset (empty frame if not materialized)."""
        ...

    def pair_universe(self) -> pd.DataFrame:
        """The pair_universe asset (empty frame if not materialized)."""
        ...

    def instruments(self) -> pd.DataFrame:
        """The instruments asset, indexed by instrument_id (empty frame if not materialized)."""
        ...

    def closes(self, since: dt.date | None = None) -> pd.DataFrame:
        """Traded closes from ``since`` (all if None), wide by session."""
        ...

    def last_price_session(self) -> dt.date | None:
        """The newest session of cleaned prices in the store (None if none)."""
        ...

    def backtest_equity(self, since: dt.date | None = None) -> EquityCurve | None:
        """The backtest's equity curve, at least from the session before ``since`` (None if unavailable)."""
        ...

    def champion_model(self) -> str:
        """Version of the ``champion`` alias of the entry-filter model, or ``"unknown"``."""
        ...
