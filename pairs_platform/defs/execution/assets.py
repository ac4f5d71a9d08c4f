"""[execution] paper and live orders for a trading session, through the one broker protocol.

Each partition is one session t: pending orders fill at t's prices (paper broker), then the book is
moved to the targets decided at t's close (``pairs_platform.execution.session.execute_sessions``).
Client order ids are derived from (strategy, session, instrument), so a retried or re-materialized
partition sends nothing twice. The paper broker charges the strategy's own costs.
"""
import dagster as dg
import pandas as pd

from pairs_platform.defs.shared.metadata import record_partition_figures
from pairs_platform.defs.shared.partitions import partition_days, trading_day_partitions
from pairs_platform.defs.shared.resources import LedgerResource, LiveTradingResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.execution.broker import Broker
from pairs_platform.execution.factory import PaperCosts, make_broker
from pairs_platform.execution.session import SessionInputs, execute_sessions
from pairs_platform.execution.risk_engine import RiskEngineConfig

GROUP = "execution"
POOL = "broker"  # one slot (dagster.yaml concurrency pools): two runs never trade at once


def _inputs(strategy: StrategyResource, instruments, cleaned_prices, target_positions) -> SessionInputs:
    config = strategy.config()
    risk = RiskEngineConfig(limits=config.limits(), capital=config.capital)
    return SessionInputs(config.strategy_id, instruments, cleaned_prices, target_positions, risk)


def _execute(context, broker: Broker, ledger, inputs: SessionInputs) -> dg.Output:
    result = execute_sessions(broker, ledger, inputs, partition_days(context), log=context.log.info)
    record_partition_figures(context, result.orders, figures=_order_counts)
    return dg.Output(result.orders, metadata={"orders_sent_in_run": result.sent, "fills_in_run": result.fills,
                                              "not_sent_in_run": result.not_sent, "ledger": ledger.url})


def _order_counts(orders: pd.DataFrame, days: pd.Series) -> pd.DataFrame:
    """Each session's own order counts (each partition shows its session, not the run's totals)."""
    sent = (orders["status"] == "sent").groupby(days).sum().astype(int)
    return pd.DataFrame({"orders_sent": sent, "not_sent": days.value_counts().reindex(sent.index) - sent})


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"sql"}, pool=POOL,
          backfill_policy=dg.BackfillPolicy.single_run())
def paper_executions(context: dg.AssetExecutionContext, strategy: StrategyResource, ledger: LedgerResource,
                     instruments: pd.DataFrame, cleaned_prices: pd.DataFrame, target_positions: pd.DataFrame):
    """Paper orders of the session: fills pending orders at this session's prices with the strategy's
    commission and slippage, then sends the orders that move the book to this close's targets (SQL ledger)."""
    costs = strategy.config().costs()
    inputs = _inputs(strategy, instruments, cleaned_prices, target_positions)
    with ledger.open() as book:
        broker = make_broker("paper", book, instruments,
                             PaperCosts(costs.commission_per_unit, costs.min_commission, costs.slippage_bps))
        return _execute(context, broker, book, inputs)


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"sql"}, pool=POOL)
def live_executions(context: dg.AssetExecutionContext, strategy: StrategyResource, ledger: LedgerResource,
                    live_trading: LiveTradingResource, instruments: pd.DataFrame,
                    cleaned_prices: pd.DataFrame, target_positions: pd.DataFrame):
    """Live orders through Interactive Brokers. Refuses to run unless the environment enables live
    trading (``PAIRS_LIVE_TRADING_ENABLED=true`` and an ``IB_ACCOUNT`` allowlist naming the account
    the gateway reports); nothing in run config can switch it on or redirect it."""
    inputs = _inputs(strategy, instruments, cleaned_prices, target_positions)
    with ledger.open() as book:
        broker = live_trading.broker(book, instruments)
        return _execute(context, broker, book, inputs)
