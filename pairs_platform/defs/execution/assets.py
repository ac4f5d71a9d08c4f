"""[execution] paper and live orders for a trading session, through the one broker protocol.

Each partition is one session t: pending orders fill at t's prices (paper broker), then the book is
moved to the targets decided at t's close (``pairs_platform.execution.session.execute_sessions``).
Client order ids are derived from (strategy, session, instrument), so a retried or re-materialized
partition sends nothing twice. The paper broker charges the strategy's own costs. The live asset runs
``pairs_platform.execution.live.run_live_sessions`` (reconciled on connect, on a timer and at the end,
pair entries legged, the broker always disconnected); a reconciliation difference raises an alert.
"""
import dagster as dg
import pandas as pd

from pairs_platform.alerts import SqlAlertRecorder, alert_manager_from_env, reconciliation_alert
from pairs_platform.defs.shared.metadata import record_partition_figures, table_preview
from pairs_platform.defs.shared.partitions import partition_days, trading_day_partitions
from pairs_platform.defs.shared.resources import LedgerResource, LiveTradingResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.execution.broker import Broker
from pairs_platform.execution.factory import PaperCosts, make_broker
from pairs_platform.execution.live import LiveOptions, LiveRunResult, run_live_sessions
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
    the gateway reports); nothing in run config can switch it on or redirect it. Reconciles on
    connect, on a timer and at the end (a difference HALTs trading and raises an alert), legs pair
    entries, and always disconnects (``pairs_platform.execution.live``)."""
    inputs = _inputs(strategy, instruments, cleaned_prices, target_positions)
    with ledger.open() as book:
        broker = live_trading.broker(book, instruments)  # the live guard, before anything else
        alerts = alert_manager_from_env(SqlAlertRecorder(ledger.resolved_url()))
        result = run_live_sessions(broker, book, inputs, partition_days(context), LiveOptions(),
                                   on_mismatch=lambda report: alerts.notify(reconciliation_alert(report)),
                                   log=context.log.info)
        record_partition_figures(context, result.sessions.orders, figures=_order_counts)
        return dg.Output(result.sessions.orders, metadata=_live_metadata(result, book.url))


def _live_metadata(result: LiveRunResult, ledger_url: str) -> dict:
    """What a live run shows: orders and fills, every reconciliation report, legging, trading state."""
    legging = result.legging_rows()
    return {"orders_sent_in_run": result.sessions.sent, "fills_in_run": result.fills,
            "not_sent_in_run": result.sessions.not_sent, "ledger": ledger_url,
            "reconciliation_ok": result.reconciled_ok,
            "reconciliation_report": dg.MetadataValue.md(f"```\n{result.reconciliation_text()}\n```"),
            "pairs_legged": len(legging),
            "legging": table_preview(legging) if len(legging) else "no pair entry in the run",
            "trading_state": result.trading_state}
