"""[execution] paper and live orders for a trading session, through the one broker protocol.

Each partition is one session t: pending orders fill at t's prices (paper broker), then the book is
moved to the targets decided at t's close. Client order ids are derived from (strategy, session,
instrument), so a retried or re-materialized partition sends nothing twice.
"""
import dagster as dg
import pandas as pd

from pairs_platform.defs.partitions import partition_days, trading_day_partitions
from pairs_platform.defs.resources import LedgerResource, LiveTradingResource, PaperBrokerResource
from pairs_platform.defs.strategy import StrategyResource
from pairs_platform.execution import OrderManager
from pairs_platform.risk.engine import RiskEngine, RiskEngineConfig

GROUP = "execution"


def session_targets(target_positions: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """Target units per instrument at the close of ``day`` (legs of several pairs netted)."""
    rows = target_positions[pd.to_datetime(target_positions["date"]) == day]
    return rows.groupby("instrument_id")["units"].sum().astype(float)


def session_closes(cleaned_prices: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """The traded (not roll-adjusted) closes of ``day``, per instrument."""
    rows = cleaned_prices[pd.to_datetime(cleaned_prices["date"]) == day]
    return rows.set_index("instrument_id")["close"].astype(float)


def _execute_sessions(context, broker, ledger, strategy, instruments, cleaned_prices, target_positions):
    risk = RiskEngine(RiskEngineConfig(limits=strategy.limits(), capital=strategy.capital), instruments)
    manager = OrderManager(broker, ledger, risk, instruments=instruments)
    rows, fills_total = [], 0
    for day in partition_days(context):  # sessions in order: fills of t-1's orders precede t's orders
        closes = session_closes(cleaned_prices, day)
        if hasattr(broker, "on_prices"):  # (session loop moves to execution/session.py)
            fills_total += len(broker.on_prices(day, closes))
        report = manager.rebalance(strategy.strategy_id, day, session_targets(target_positions, day),
                                   reference_prices=closes)
        context.log.info(report.summary())
        for order in report.sent + report.resubmitted:
            rows.append({"session": day, "client_order_id": order.client_order_id,
                         "instrument_id": order.instrument_id, "side": str(order.side.value),
                         "quantity": float(order.quantity), "status": "sent"})
        rows += [{"session": day, "client_order_id": s.client_order_id, "instrument_id": s.instrument_id,
                  "side": "", "quantity": 0.0, "status": f"skipped: {s.reason}"} for s in report.skipped + report.refused]
    orders = pd.DataFrame(rows, columns=["session", "client_order_id", "instrument_id", "side", "quantity", "status"])
    sent = int((orders["status"] == "sent").sum())
    return dg.Output(orders, metadata={"orders_sent": sent, "fills": fills_total,
                                       "not_sent": len(orders) - sent, "ledger": repr(ledger)})


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"sql"},
          backfill_policy=dg.BackfillPolicy.single_run())
def paper_executions(context: dg.AssetExecutionContext, strategy: StrategyResource, ledger: LedgerResource,
                     paper_broker: PaperBrokerResource, instruments: pd.DataFrame,
                     cleaned_prices: pd.DataFrame, target_positions: pd.DataFrame):
    """Paper orders of the session: fills pending orders at this session's prices with commission
    and slippage, then sends the orders that move the book to this close's targets (SQL ledger)."""
    with ledger.open() as book:
        broker = paper_broker.broker(book)
        return _execute_sessions(context, broker, book, strategy, instruments, cleaned_prices, target_positions)


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"sql"})
def live_executions(context: dg.AssetExecutionContext, strategy: StrategyResource, ledger: LedgerResource,
                    live_trading: LiveTradingResource, instruments: pd.DataFrame,
                    cleaned_prices: pd.DataFrame, target_positions: pd.DataFrame):
    """Live orders through Interactive Brokers. Refuses to run unless the environment enables live
    trading (``PAIRS_LIVE_TRADING_ENABLED=true`` and an ``IB_ACCOUNT`` allowlist)."""
    with ledger.open() as book:
        broker = live_trading.broker(book, instruments)
        return _execute_sessions(context, broker, book, strategy, instruments, cleaned_prices, target_positions)
