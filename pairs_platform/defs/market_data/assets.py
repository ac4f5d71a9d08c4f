"""[market_data] instruments, raw prices per asset class, cleaned prices (monthly partitions), price panel."""
import time

import dagster as dg
import pandas as pd
from pydantic import Field

from pairs_platform.data.calendar import previous_trading_day, session_for
from pairs_platform.data.cleaning import (
    SOURCE_END_LOOKAHEAD, SOURCE_END_LOOKBACK, CleaningRules, check_source_not_ended, clean_bars,
)
from pairs_platform.data.guards import REMOVAL_HINT, check_no_instrument_lost
from pairs_platform.data.prices import continuous_futures, to_wide
from pairs_platform.data.sources.registry import instrument_ids
from pairs_platform.defs.market_data.checks import CLEANED_CHECKS, cleaned_checks
from pairs_platform.defs.shared.metadata import frame_metadata, record_partition_figures, table_preview
from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.defs.shared.partitions import partition_days, price_month_partitions
from pairs_platform.defs.shared.resources import PriceSourcesResource
from pairs_platform.identifiers import ASSET_CLASSES

GROUP = "market_data"
CLEANING_RULES = CleaningRules()


@dg.asset(group_name=GROUP, kinds={"pandas"})
def instruments(price_sources: PriceSourcesResource) -> dg.Output[pd.DataFrame]:
    """The instrument table: asset class, currency, calendar, multiplier, tick, lot size, shortable,
    sector, futures roll rule and borrow fee of every instrument the platform knows."""
    table = price_sources.config().instrument_table()
    counts = table["asset_class"].value_counts().to_dict()
    return dg.Output(table, metadata={**frame_metadata(table.reset_index()),
                                      **{f"count_{k}": int(v) for k, v in counts.items()}})


def _fetch_window(context) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Calendar span whose bars belong to the run's sessions: after the previous session, to the last."""
    days = partition_days(context)
    start = previous_trading_day(days[0]) + pd.Timedelta(days=1)
    return start, days[-1]


class RawPricesConfig(dg.Config):
    """Run config of a raw-prices step."""

    allow_removal: list[str] = Field(
        default_factory=list, description="Instrument ids that may vanish from partitions that held them "
        f"before ('*': any). Without it a rewrite that would lose one is refused ({REMOVAL_HINT}).")


def _refuse_lost_instruments(stored: pd.DataFrame, bars: pd.DataFrame, allow_removal: list[str],
                             where: str) -> None:
    """Refuses rewriting a stored partition without an instrument it held (unless allowed)."""
    if not len(stored):
        return
    held = stored[["session", "instrument_id"]].drop_duplicates()
    kept = held.merge(bars[["session", "instrument_id"]].drop_duplicates(), how="left", indicator=True)
    lost = kept[(kept["_merge"] == "left_only") & ~kept["instrument_id"].isin(allow_removal)]
    if len(lost) and "*" not in allow_removal:  # the guard names the first partition that would lose one
        day = lost["session"].min()
        check_no_instrument_lost(held.loc[held["session"] == day, "instrument_id"],
                                 bars.loc[bars["session"] == day, "instrument_id"], allow_removal,
                                 where=f"{where} partition {pd.Timestamp(day).date()}", date=day)


def _refuse_ended_sources(source, ids: list[str], bars: pd.DataFrame, last: pd.Timestamp, where: str) -> None:
    """Refuses a session after the source's last bar of an instrument (instead of flat filled bars)."""
    missing = sorted(set(ids) - set(bars.loc[bars["session"] == last, "instrument_id"]))
    if missing:
        check_source_not_ended(source.fetch(missing, last - SOURCE_END_LOOKBACK, last + SOURCE_END_LOOKAHEAD),
                               last, where)


def build_raw_prices_asset(asset_class: str) -> dg.AssetsDefinition:
    """One raw-price asset per asset class; all share this definition and the price-source protocol."""

    @dg.asset(
        name=asset_class,
        key_prefix=["raw_prices"],
        group_name=GROUP,
        partitions_def=price_month_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"pandas", "parquet"},
        description=f"Raw daily bars of the {asset_class} instruments as the configured source gives "
                    "them (long table, one row per instrument and bar, real bar dates; one partition "
                    "per month, each bar in the month of the trading session it belongs to). Refuses a session after a "
                    "source's last bar, and a rewrite that would lose an instrument (run config "
                    "'allow_removal').",
    )
    def raw_prices(context: dg.AssetExecutionContext, config: RawPricesConfig,
                   price_sources: PriceSourcesResource, io_manager: dg.ResourceParam[PartitionedParquetIOManager],
                   instruments: pd.DataFrame) -> dg.Output[pd.DataFrame]:
        ids = instrument_ids(instruments, asset_class)
        start, end = _fetch_window(context)
        began = time.perf_counter()
        source = price_sources.config().source_for(asset_class)
        bars = source.fetch(ids, start, end) if ids else pd.DataFrame(
            columns=["date", "instrument_id", "open", "high", "low", "close", "volume"])
        bars = bars.assign(session=session_for(pd.DatetimeIndex(bars["date"])))
        bars = bars[bars["session"].isin(partition_days(context))].reset_index(drop=True)
        where = f"raw_prices/{asset_class}, source '{getattr(price_sources, asset_class)}'"
        _refuse_ended_sources(source, ids, bars, partition_days(context)[-1], where)
        _refuse_lost_instruments(io_manager.stored_partitions(context.asset_key, list(context.partition_keys)),
                                 bars, config.allow_removal, where)
        record_partition_figures(context, bars)  # rows, dates, instruments, preview: each month its own
        return dg.Output(bars, metadata={
            "source": getattr(price_sources, asset_class),
            "instruments": len(ids),
            "fetch_seconds": round(time.perf_counter() - began, 3),
        })

    return raw_prices


raw_prices_assets = [build_raw_prices_asset(asset_class) for asset_class in ASSET_CLASSES]

# Cleaning a month reads the month before for its lookback; no month has fewer than 15 sessions
# (September 2001, the 9/11 closure).
MIN_SESSIONS_PER_MONTH = 15
assert CLEANING_RULES.lookback_days <= MIN_SESSIONS_PER_MONTH, "the cleaning lookback outgrew one month"
_lookback = dg.TimeWindowPartitionMapping(start_offset=-1, allow_nonexistent_upstream_partitions=True)


@dg.asset(
    group_name=GROUP,
    partitions_def=price_month_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    ins={f"raw_{c}": dg.AssetIn(key=["raw_prices", c], partition_mapping=_lookback) for c in ASSET_CLASSES},
    check_specs=CLEANED_CHECKS,
    kinds={"pandas", "parquet"},
)
def cleaned_prices(context: dg.AssetExecutionContext, instruments: pd.DataFrame, **raw: pd.DataFrame):
    """Cleaned daily bars on the one trading calendar: duplicates, non-positive or non-numeric
    prices, outlier spikes and gaps handled by the documented rules of docs/data.md, crypto
    folded to trading sessions. What cleaning changed is counted in the metadata."""
    days = partition_days(context)
    frames = [frame for frame in raw.values() if len(frame)]
    raw_bars = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    result = clean_bars(raw_bars, days, instruments, CLEANING_RULES)
    bars = result.bars.assign(session=lambda f: pd.to_datetime(f["date"]))
    record_partition_figures(context, bars)  # rows, dates, instruments, preview: each month its own
    yield dg.Output(bars, metadata={**{f"cleaning_{k}": int(v) for k, v in result.report.items()
                                       if isinstance(v, (int, float))}})
    expected = set(raw_bars["instrument_id"]) if len(raw_bars) else set()
    yield from cleaned_checks(bars, expected, int(result.report.get("gaps_filled", 0)))


@dg.asset(group_name=GROUP, kinds={"pandas"})
def price_panel(cleaned_prices: pd.DataFrame, instruments: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Normalized research prices: one column per instrument on the trading calendar, every
    materialized session; futures made continuous by forward ratio adjustment (no look-ahead)."""
    bars = continuous_futures(cleaned_prices, instruments)
    panel = to_wide(bars.drop(columns=["session"], errors="ignore"))
    return dg.Output(panel, metadata={
        "dagster/row_count": len(panel), "instruments": panel.shape[1],
        "first_date": str(panel.index.min().date()), "last_date": str(panel.index.max().date()),
        "preview": table_preview(panel.tail(5).T.rename(columns=lambda d: str(d.date())).rename_axis("instrument_id"))})
