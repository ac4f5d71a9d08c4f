"""[intraday] bars per session (one Parquet file per session), session targets, paper orders per bar.

Partitions are the NYSE sessions (``trading_day_partitions``): the intraday path trades XNYS
equities. ``intraday_targets`` of session t reads the bars of t and its ``tod_sessions``
predecessors (the time-of-day warm-up); with the book flat at every close, sessions trade
independently. All logic is in the core (``backtest.intraday``, ``execution.intraday``).
"""
import dagster as dg
import pandas as pd
from pydantic import Field

import pairs_platform.ibkr  # noqa: F401  (registers the 'ib' intraday source kind)
from pairs_platform.backtest.intraday import IntradayBacktestConfig, parse_pairs, session_targets
from pairs_platform.data.calendar import DAILY_EXCHANGE
from pairs_platform.data.sources.intraday import wide_closes
from pairs_platform.data.sources.intraday_factory import make_intraday_source
from pairs_platform.defs.shared.metadata import frame_metadata
from pairs_platform.defs.shared.partitions import partition_days, trading_day_partitions
from pairs_platform.defs.shared.resources import LedgerResource
from pairs_platform.execution import OrderManager, PaperBroker
from pairs_platform.execution.intraday import trade_session
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig

GROUP = "intraday"
STRATEGY_ID = "intraday"
WARMUP = IntradayBacktestConfig().signal.tod_sessions
DEFAULT_PAIRS = ["EQ:SYNB~EQ:SYNA~1.0", "EQ:SYND~EQ:SYNC~0.8"]


class IntradayBarsConfig(dg.Config):
    """Where the intraday bars come from (run config)."""

    source: str = Field(default="synthetic", description="'synthetic' (seeded), 'files' or 'ib' (IB historical "
                                                         "bars; connection from IB_HOST/IB_PORT/IB_CLIENT_ID)")
    seed: int = Field(default=7, description="seed of the synthetic source")
    path: str = Field(default="", description="folder of CSV/Parquet bar files (source 'files')")
    timezone: str = Field(default="", description="IANA timezone of naive file timestamps (source 'files')")
    bar_size: str = Field(default="5min", description="bar size, e.g. '5min', '1h'")
    instruments: list[str] = Field(default=["EQ:SYNA", "EQ:SYNB", "EQ:SYNC", "EQ:SYND"])


class IntradayPairsConfig(dg.Config):
    """The intraday pairs as 'Y~X~BETA' strings."""

    pairs: list[str] = Field(default=DEFAULT_PAIRS)


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"pandas", "parquet"},
          backfill_policy=dg.BackfillPolicy.single_run())
def intraday_bars(context: dg.AssetExecutionContext, config: IntradayBarsConfig) -> dg.Output[pd.DataFrame]:
    """Intraday bars of each session (long: timestamp UTC bar end, session, instrument_id, OHLCV),
    stored one Parquet file per session."""
    days = partition_days(context)
    source = make_intraday_source(config.source, config.seed, config.path, config.timezone)
    bars = source.fetch_intraday(config.instruments, days[0], days[-1], config.bar_size)
    return dg.Output(bars, metadata={**frame_metadata(bars), "source": source.name, "exchange": DAILY_EXCHANGE})


_warmup = dg.TimeWindowPartitionMapping(start_offset=-WARMUP, allow_nonexistent_upstream_partitions=True)


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"pandas", "parquet"},
          ins={"intraday_bars": dg.AssetIn(partition_mapping=_warmup)})
def intraday_targets(config: IntradayPairsConfig, intraday_bars: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Target units after each bar of the session (flat at the close), from the intraday backtest on
    the session and its warm-up sessions (time-of-day normalised z, no entries near open and close)."""
    targets = session_targets(wide_closes(intraday_bars), parse_pairs(config.pairs), IntradayBacktestConfig())
    return dg.Output(targets, metadata={**frame_metadata(targets),
                                        "latest_session": str(pd.Timestamp(targets["session"].iloc[-1]).date())})


@dg.asset(group_name=GROUP, partitions_def=trading_day_partitions, kinds={"sql"}, pool="broker")
def intraday_paper_orders(context: dg.AssetExecutionContext, ledger: LedgerResource, intraday_bars: pd.DataFrame,
                          intraday_targets: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Paper orders of every bar of the session through the one order path (bar-keyed client order ids:
    a retried run sends nothing twice)."""
    config = IntradayBacktestConfig()
    with ledger.open() as book:
        broker = PaperBroker(book, config.costs.commission_per_unit, config.costs.min_commission,
                             config.costs.slippage_bps)
        manager = OrderManager(broker, book, RiskEngine(RiskEngineConfig(limits=config.limits,
                                                                         capital=config.capital)))
        trades = trade_session(manager, broker, STRATEGY_ID, intraday_targets, wide_closes(intraday_bars))
    orders = pd.DataFrame([{"session": t.session, "bar": t.bar, "client_order_id": o.client_order_id,
                            "instrument_id": o.instrument_id, "side": o.side.value, "quantity": o.quantity}
                           for t in trades for o in t.report.sent],
                          columns=["session", "bar", "client_order_id", "instrument_id", "side", "quantity"])
    context.log.info(f"intraday paper: {len(trades)} bars traded, {len(orders)} orders sent")
    return dg.Output(orders, metadata={"orders_sent": len(orders), "bars": len(trades),
                                       "fills": sum(len(t.fills) for t in trades), "ledger": repr(book)})
