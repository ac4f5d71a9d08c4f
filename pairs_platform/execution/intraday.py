"""Intraday paper trading: the newest bar's targets through the one order path (order manager, risk engine).

At each bar t (in bar order): the paper broker first fills the orders still working from earlier
bars at t's closes, then :meth:`OrderManager.rebalance` moves the book to the targets decided at
t's close, with client order ids keyed on (strategy, session, instrument, bar t). Re-running bar t
(a retry, a relaunched run) sends nothing new and never fills bar t's own orders at t's price.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from pairs_platform.execution.broker import OPEN_STATUSES, Fill, make_client_order_id
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.order_manager import OrderManager, RebalanceReport
from pairs_platform.execution.paper import PaperBroker


@dataclass(frozen=True)
class BarTrade:
    """What trading one bar did: the bar, its session, the fills of earlier bars' orders, the rebalance."""

    bar: pd.Timestamp
    session: pd.Timestamp
    fills: list[Fill]
    report: RebalanceReport


def _bar_order_ids(manager: OrderManager, strategy_id: str, session, bar, instruments) -> set[str]:
    """Client order ids bar ``bar`` would use for every instrument it could trade."""
    held = manager.ledger.positions(strategy_id)
    working = [r.order.instrument_id for r in manager.ledger.orders(strategy_id, statuses=OPEN_STATUSES)]
    ids = set(instruments) | set(held) | set(working)
    return {make_client_order_id(strategy_id, session, iid, bar) for iid in ids}


def trade_bar(manager: OrderManager, broker: PaperBroker, strategy_id: str, bar: pd.Timestamp,
              session: pd.Timestamp, targets: pd.Series, closes: pd.Series) -> BarTrade:
    """Fill earlier bars' working orders at ``closes``, then rebalance to ``targets`` decided at ``bar``.

    Parameters
    ----------
    manager : OrderManager
        The one order path (risk engine inside); its broker must be ``broker``.
    broker : PaperBroker
        The paper broker that fills the working orders at this bar's closes.
    strategy_id : str
        The intraday strategy (its own book in the ledger).
    bar : pd.Timestamp
        The tz-aware end time of the bar the targets were decided at.
    session : pd.Timestamp
        The exchange session of ``bar`` (the orders' ``as_of``).
    targets : pd.Series
        instrument_id -> target units after the decisions at ``bar``'s close.
    closes : pd.Series
        instrument_id -> ``bar``'s closes (fills of earlier orders, reference prices, risk marks).
    """
    if manager.broker is not broker:
        raise ExecutionInputError(f"trade_bar({strategy_id}, {bar}): the order manager sends to "
                                  f"{manager.broker.name!r}, not to the paper broker given; pass the same broker")
    own = _bar_order_ids(manager, strategy_id, session, bar, targets.index.union(closes.index))
    fills = broker.on_bar(session, closes, own)
    report = manager.rebalance(strategy_id, session, targets, closes, bar=pd.Timestamp(bar))
    return BarTrade(pd.Timestamp(bar), pd.Timestamp(session), fills, report)


def newest_traded_bar(manager: OrderManager, strategy_id: str, bars: pd.Index, sessions: pd.Series,
                      instruments: pd.Index) -> pd.Timestamp | None:
    """The newest of ``bars`` under whose bar-keyed ids the ledger holds an order of ``strategy_id`` (None: none)."""
    recorded = {r.order.client_order_id for day in pd.unique(sessions.loc[bars])
                for r in manager.ledger.orders(strategy_id, as_of=day)}
    for bar in reversed(bars):  # newest first; stops at the first bar with an order
        if any(make_client_order_id(strategy_id, sessions.loc[bar], iid, bar) in recorded for iid in instruments):
            return pd.Timestamp(bar)
    return None


def trade_bars(manager: OrderManager, broker: PaperBroker, strategy_id: str, positions: pd.DataFrame,
               closes: pd.DataFrame, sessions: pd.Series) -> list[BarTrade]:
    """:func:`trade_bar` for each bar of ``positions`` (bars x instruments of target units), in bar order.

    ``closes``: the same bars' closes; ``sessions``: the session of each bar (indexed like ``positions``).
    Bars older than the newest bar the ledger already traded are skipped (they were traded: the book
    has moved on), so re-running a replay sends nothing twice; that newest bar itself is re-run as a retry.
    """
    newest = newest_traded_bar(manager, strategy_id, positions.index, sessions, positions.columns)
    todo = positions.index if newest is None else positions.index[positions.index >= newest]
    trades = []
    for bar in todo:  # one rebalance per bar: orders are sequential by nature
        targets = positions.loc[bar]
        trades.append(trade_bar(manager, broker, strategy_id, bar, sessions.loc[bar], targets[targets != 0.0],
                                closes.loc[bar].dropna()))
    return trades


def trade_session(manager: OrderManager, broker: PaperBroker, strategy_id: str, targets: pd.DataFrame,
                  closes: pd.DataFrame) -> list[BarTrade]:
    """:func:`trade_bars` from long session tables: ``targets`` (session, timestamp, instrument_id,
    units; see ``backtest.intraday.session_targets``) and wide ``closes`` (timestamps x instruments)."""
    positions = targets.pivot(index="timestamp", columns="instrument_id", values="units").sort_index()
    sessions = targets.drop_duplicates("timestamp").set_index("timestamp")["session"].reindex(positions.index)
    return trade_bars(manager, broker, strategy_id, positions, closes.reindex(positions.index), sessions)
