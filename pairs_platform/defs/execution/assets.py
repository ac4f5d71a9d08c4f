"""[execution] paper and live orders for a trading session, through the one broker protocol.

Each partition is one session t: pending orders fill at t's prices (paper broker), then the book is
moved to the targets decided at t's close (``pairs_platform.execution.session.execute_sessions``).
Client order ids are derived from (strategy, session, instrument), so a retried or re-materialized
partition sends nothing twice. The paper broker charges the strategy's own costs.
"""
import dagster as dg
import pandas as pd

from pairs_platform.defs.shared.partitions import partition_days, trading_day_partitions
from pairs_platform.defs.shared.resources import LedgerResource, LiveTradingResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.execution.broker import Broker
from pairs_platform.execution.errors import ensure_live_enabled
from pairs_platform.execution.paper import PaperBroker
from pairs_platform.execution.session import SessionInputs, execute_sessions

GROUP = "execution"


def _execute(context, broker: Broker, ledger, inputs: SessionInputs) -> dg.Output:
    result = execute_sessions(broker, ledger, inputs, partition_days(context), log=context.log.info)
    return dg.Output(result.orders, metadata={"orders_sent": result.sent, "fills": result.fills,
                                              "not_sent": result.not_sent, "ledger": repr(ledger)})


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"sql"},
          backfill_policy=dg.BackfillPolicy.single_run())
def paper_executions(context: dg.AssetExecutionContext, strategy: StrategyResource, ledger: LedgerResource,
                     instruments: pd.DataFrame, cleaned_prices: pd.DataFrame, target_positions: pd.DataFrame):
    """Paper orders of the session: fills pending orders at this session's prices with the strategy's
    commission and slippage, then sends the orders that move the book to this close's targets (SQL ledger)."""
    config = strategy.config()
    costs = config.costs()
    inputs = SessionInputs(config.strategy_id, instruments, cleaned_prices, target_positions)
    with ledger.open() as book:
        broker = PaperBroker(book, commission_per_unit=costs.commission_per_unit,
                             min_commission=costs.min_commission, slippage_bps=costs.slippage_bps)
        return _execute(context, broker, book, inputs)


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"sql"})
def live_executions(context: dg.AssetExecutionContext, strategy: StrategyResource, ledger: LedgerResource,
                    live_trading: LiveTradingResource, instruments: pd.DataFrame,
                    cleaned_prices: pd.DataFrame, target_positions: pd.DataFrame):
    """Live orders through Interactive Brokers. Refuses to run unless live trading is explicitly
    enabled (``PAIRS_LIVE_TRADING_ENABLED=true``)."""
    ensure_live_enabled(live_trading.enabled)
    from pairs_platform.execution.ib import IBBroker

    inputs = SessionInputs(strategy.config().strategy_id, instruments, cleaned_prices, target_positions)
    with ledger.open() as book:
        broker = IBBroker(instruments=instruments, host=live_trading.host, port=live_trading.port,
                          client_id=live_trading.client_id, live_enabled=live_trading.enabled)
        return _execute(context, broker, book, inputs)
