"""[operations] the daily P&L report of each trading session, from the ledger (logic in
``pairs_platform.reporting.daily_pnl`` and ``daily_report``; this module only wires it).

``daily_pnl_report`` is partitioned like the execution assets and runs in the ``paper_execution`` job
right after ``paper_executions`` (so the ``paper_on_new_targets`` sensor's run of the newest session
reports it too). Each partition records its own session's figures, never the run's totals.
"""
import dagster as dg
import pandas as pd

from pairs_platform.backtest import BacktestResult
from pairs_platform.data.calendar import previous_trading_day
from pairs_platform.defs.shared.metadata import add_per_partition_metadata, money, percent
from pairs_platform.defs.shared.partitions import partition_days, trading_day_partitions
from pairs_platform.defs.shared.resources import LedgerResource, data_dir
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.reporting.daily_pnl import DailyPnlInputs, LedgerActivity, daily_pnl_table
from pairs_platform.reporting.daily_report import write_daily_report
from pairs_platform.reporting.tearsheet import tearsheet_path

GROUP = "operations"
MONEY = ("daily_pnl", "realized_pnl", "unrealized_pnl", "cumulative_pnl", "equity", "commission", "gross_exposure",
         "net_exposure", "backtest_daily_pnl", "backtest_cumulative_pnl", "daily_pnl_vs_backtest")
PERCENT = ("gross_exposure_pct", "net_exposure_pct")
COUNTS = ("orders_sent", "orders_rejected", "orders_refused", "fills")


def session_closes(cleaned_prices: pd.DataFrame, sessions: pd.DatetimeIndex) -> pd.DataFrame:
    """Traded closes (sessions x instruments) of ``sessions``, as execution reads them (bars dated t)."""
    bars = cleaned_prices.assign(date=pd.to_datetime(cleaned_prices["date"]))
    wide = bars.pivot_table(index="date", columns="instrument_id", values="close", aggfunc="last")
    return wide.loc[wide.index.isin(sessions)].sort_index()


def session_metadata(row: pd.Series, report, tearsheet) -> dict:
    """One session's own figures as metadata: money to cents, percentages to 2 places, counts, links.
    A backtest figure the backtest does not have for the session is left out."""
    meta = {key: money(row[key]) for key in MONEY if pd.notna(row[key])}
    meta.update({key: percent(row[key]) for key in PERCENT})
    meta.update({key: int(row[key]) for key in COUNTS})
    meta["report"] = dg.MetadataValue.path(str(report))
    meta["tear_sheet"] = dg.MetadataValue.path(str(tearsheet))
    return meta


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"pandas", "markdown"},
          deps=[dg.AssetKey("paper_executions")], backfill_policy=dg.BackfillPolicy.single_run(),
          ins={"cleaned_prices": dg.AssetIn(partition_mapping=dg.TimeWindowPartitionMapping(
              start_offset=-1, allow_nonexistent_upstream_partitions=True))})
def daily_pnl_report(context: dg.AssetExecutionContext, strategy: StrategyResource, ledger: LedgerResource,
                     instruments: pd.DataFrame, cleaned_prices: pd.DataFrame,
                     backtest_results: BacktestResult) -> dg.Output[pd.DataFrame]:
    """Daily P&L of the session from the ledger (average cost): realized (net of commissions) and
    unrealized P&L, daily and cumulative P&L, gross and net exposure ($ and % of capital), orders
    sent, rejected and refused, fills, against the backtest's P&L of the same session; one markdown
    report per session under ``<data dir>/reports/daily/`` linking the tear sheet. Each partition's
    metadata is its own session's figures."""
    config = strategy.config()
    sessions = partition_days(context)
    needed = sessions.union([previous_trading_day(sessions[0])])  # the run's sessions and the one before
    with ledger.open() as book:
        activity = LedgerActivity(book.fills_frame(config.strategy_id), book.orders_frame(config.strategy_id),
                                  book.refusals_frame(config.strategy_id))
        ledger_url = book.url
    inputs = DailyPnlInputs(activity, session_closes(cleaned_prices, needed), instruments["multiplier"].astype(float),
                            config.capital, backtest_results.equity)
    table = daily_pnl_table(inputs, sessions)
    folder = data_dir() / "reports"
    tearsheet = tearsheet_path(folder, config.strategy_id)
    by_partition = {}
    for _, row in table.iterrows():  # one report file per session of the run
        report = write_daily_report(row, config.strategy_id, folder, tearsheet)
        by_partition[str(row["session"].date())] = session_metadata(row, report, tearsheet)
    add_per_partition_metadata(context._step_execution_context, context.asset_key, by_partition)  # noqa: SLF001
    return dg.Output(table, metadata={"sessions_in_run": len(table), "ledger": ledger_url,
                                      "tear_sheet": dg.MetadataValue.path(str(tearsheet))})
