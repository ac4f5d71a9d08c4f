"""Session-by-session execution: move the book to each session's targets, in session order.

Each session t: the broker first sees t's traded closes (the paper broker fills the orders still
working from t-1), then the order manager sends the orders that move the book to the targets
decided at t's close, every order through the one risk engine (targets -> order manager ->
risk engine -> broker). Client order ids derive from (strategy, session, instrument), so a retried
session sends nothing twice. No dagster here: the execution assets only call
:func:`execute_sessions`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

import pandas as pd

from pairs_platform.execution.broker import Broker
from pairs_platform.execution.order_manager import OrderManager, OrderSequencer
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig

ORDER_COLUMNS = ["session", "client_order_id", "instrument_id", "side", "quantity", "status"]


@dataclass(frozen=True)
class SessionInputs:
    """What the sessions are executed from.

    Parameters
    ----------
    strategy_id : str
        The strategy whose book is moved (part of every client order id).
    instruments : pd.DataFrame
        The instrument table (lot sizes, multipliers) for the order manager.
    cleaned_prices : pd.DataFrame
        Long table of traded (not roll-adjusted) bars: ``date``, ``instrument_id``, ``close``.
    target_positions : pd.DataFrame
        Long table of targets: ``date``, ``instrument_id``, ``units`` (one row per pair leg).
    risk : RiskEngineConfig
        The risk engine every order passes (the backtest's limits and capital, plus order checks).
    """

    strategy_id: str
    instruments: pd.DataFrame
    cleaned_prices: pd.DataFrame
    target_positions: pd.DataFrame
    risk: RiskEngineConfig


@dataclass(frozen=True)
class SessionsResult:
    """Outcome of :func:`execute_sessions`.

    Parameters
    ----------
    orders : pd.DataFrame
        One row per order sent or not sent (columns ``ORDER_COLUMNS``; ``status`` is ``sent`` or
        ``skipped: <reason>``).
    fills : int
        Fills the broker reported on the sessions' prices.
    """

    orders: pd.DataFrame
    fills: int

    @property
    def sent(self) -> int:
        """Orders sent (or resubmitted) to the broker."""
        return int((self.orders["status"] == "sent").sum())

    @property
    def not_sent(self) -> int:
        """Orders skipped or refused."""
        return len(self.orders) - self.sent


def _on(table: pd.DataFrame, day: pd.Timestamp) -> pd.DataFrame:
    """The rows of a long table (``date`` column) dated ``day``."""
    return table[pd.to_datetime(table["date"]) == day]


def session_targets(target_positions: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Target units per instrument at the close of ``day`` (legs of several pairs netted), as floats."""
    return _on(target_positions, day).groupby("instrument_id")["units"].sum().astype(float)


def session_closes(cleaned_prices: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """The traded (not roll-adjusted) closes of ``day`` per instrument, as floats."""
    return _on(cleaned_prices, day).set_index("instrument_id")["close"].astype(float)


def session_liquidity(cleaned_prices: pd.DataFrame, day: pd.Timestamp) -> dict[str, float]:
    """Dollar volume (``close x volume``) of ``day`` per instrument; empty without a ``volume`` column
    (pair legging then orders the legs by instrument id)."""
    if "volume" not in cleaned_prices.columns:
        return {}
    rows = _on(cleaned_prices, day)
    return (rows["close"].astype(float) * rows["volume"].astype(float)).groupby(rows["instrument_id"]).sum().to_dict()


def _report_rows(day: pd.Timestamp, report) -> list[dict]:
    """Order-table rows of one session's rebalance report."""
    rows = [{"session": day, "client_order_id": o.client_order_id, "instrument_id": o.instrument_id,
             "side": str(o.side.value), "quantity": float(o.quantity), "status": "sent"}
            for o in report.sent + report.resubmitted]
    rows += [{"session": day, "client_order_id": s.client_order_id, "instrument_id": s.instrument_id,
              "side": "", "quantity": 0.0, "status": f"skipped: {s.reason}"}
             for s in report.skipped + report.refused]
    return rows


def execute_sessions(broker: Broker, ledger, inputs: SessionInputs, sessions: Iterable[pd.Timestamp],
                     log: Callable[[str], None] | None = None, *,
                     sequencer: OrderSequencer | None = None) -> SessionsResult:
    """Execute ``sessions`` in order through ``broker``, recording everything in ``ledger``.

    Parameters
    ----------
    broker : Broker
        Paper or live broker; ``on_prices`` is called with each session's closes before its orders.
    ledger : pairs_platform.execution.Ledger
        The SQL ledger (orders, fills, positions).
    inputs : SessionInputs
        Strategy id, instruments, traded closes and targets.
    sessions : iterable of pd.Timestamp
        Sessions in ascending order (fills of t-1's orders precede t's orders).
    log : callable, optional
        Receives each session's one-line rebalance summary.
    sequencer : OrderSequencer, optional
        How new orders go out (live: pair entries legged, see :mod:`pairs_platform.execution.live`).

    Returns
    -------
    SessionsResult
        The orders table and the number of fills.
    """
    risk = RiskEngine(inputs.risk, inputs.instruments)
    manager = OrderManager(broker, ledger, risk, instruments=inputs.instruments, sequencer=sequencer)
    rows, fills = [], 0
    for day in sessions:
        closes = session_closes(inputs.cleaned_prices, day)
        fills += len(broker.on_prices(day, closes))
        report = manager.rebalance(inputs.strategy_id, day, session_targets(inputs.target_positions, day),
                                   reference_prices=closes)
        if log is not None:
            log(report.summary())
        rows += _report_rows(day, report)
    return SessionsResult(orders=pd.DataFrame(rows, columns=ORDER_COLUMNS), fills=fills)
