"""The one trading-day calendar of the graph, as Dagster daily partitions.

Partitions are NYSE trading days from 1990-01-02 on: weekday ticks with every NYSE holiday and
one-off closure excluded (``pairs_platform.data.calendar``). Crypto trades every day; its weekend
bars land in the partition of the next trading day (see docs/data.md). ``end_offset=1`` makes
today's partition exist, so the after-close schedule can materialize it the same evening.
"""
from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd

from pairs_platform.data.calendar import trading_days

CALENDAR_START = "1990-01-02"
CALENDAR_TIMEZONE = "America/New_York"
# Holidays are listed through this date; extend it with the calendar when the years come.
EXCLUSIONS_THROUGH = "2030-12-31"


def _non_trading_weekdays() -> list[dt.datetime]:
    weekdays = pd.bdate_range(CALENDAR_START, EXCLUSIONS_THROUGH)
    closed = weekdays.difference(trading_days(CALENDAR_START, EXCLUSIONS_THROUGH))
    return [day.to_pydatetime() for day in closed]


trading_day_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 * * 1-5",
    start=CALENDAR_START,
    fmt="%Y-%m-%d",
    timezone=CALENDAR_TIMEZONE,
    end_offset=1,
    exclusions=_non_trading_weekdays(),
)


def partition_days(context) -> pd.DatetimeIndex:
    """The trading days a (possibly ranged) run materializes, as a ``DatetimeIndex`` named ``date``."""
    keys = context.partition_keys
    return pd.DatetimeIndex(pd.to_datetime(keys), name="date")
