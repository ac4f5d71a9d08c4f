"""Market data: instrument table, trading calendar, price sources, cleaning and normalizing.

Pure core (no dagster import). The public API is re-exported here; see ``docs/data.md``.
"""
from pairs_platform.data.calendar import (
    add_trading_days, is_trading_day, next_trading_day, previous_trading_day, session_for, trading_days,
)
from pairs_platform.data.cleaning import CleaningResult, CleaningRules, clean_bars
from pairs_platform.data.errors import DataQualityError
from pairs_platform.data.instruments import (
    ASSET_CLASSES, INSTRUMENT_COLUMNS, asset_class_of, default_instruments, instruments_from_csv,
    validate_instruments,
)
from pairs_platform.data.prices import continuous_futures, log_prices, normalized_index, returns, to_wide
from pairs_platform.data.sources import (
    BAR_COLUMNS, BundledSource, CombinedSource, FileSource, PriceSource, SyntheticSource, make_source,
)

__all__ = [
    "ASSET_CLASSES", "BAR_COLUMNS", "BundledSource", "CleaningResult", "CleaningRules", "CombinedSource",
    "DataQualityError", "FileSource", "INSTRUMENT_COLUMNS", "PriceSource", "SyntheticSource",
    "add_trading_days", "asset_class_of", "clean_bars", "continuous_futures", "default_instruments",
    "instruments_from_csv", "is_trading_day", "log_prices", "make_source", "next_trading_day",
    "normalized_index", "previous_trading_day", "returns", "session_for", "to_wide", "trading_days",
    "validate_instruments",
]
