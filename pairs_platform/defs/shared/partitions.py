"""The trading calendar of the graph as Dagster partitions: sessions, and months of prices.

Two partitions definitions share one calendar and one pair of bounds:

- ``trading_day_partitions``: one partition per trading session (execution, intraday, reports).
- ``price_month_partitions``: one partition per calendar month (``YYYY-MM``) for the raw and
  cleaned prices. A month partition holds the month's sessions (clipped to the bounds below and to
  today). Dagster records two events per asset-partition; months instead of sessions cut the
  demo's price history from ~10,000 asset-partitions to ~480 (docs/scale.md). A session-partitioned
  asset downstream reads the month that contains its session.

Partitions are NYSE trading days from 1990-01-02 on: weekday ticks with every NYSE holiday and
one-off closure excluded (``pairs_platform.data.calendar``). Crypto trades every day; its weekend
bars land in the partition of the next trading day (see docs/data.md). ``end_offset=1`` makes
today's partition exist, so the after-close schedule can materialize it the same evening.

The UI shows how much of this range is materialized ("13% filled" for a 5-year demo in 1990..today)
and the backfill dialog offers its last days. Two environment settings bound it to what exists:
``PAIRS_PARTITIONS_START`` (first session, default 1990-01-02) and ``PAIRS_PARTITIONS_END`` (last
session, inclusive; default none: through today). ``make demo`` and ``make ui`` set both to the
bundled data's span (2015-01-02 .. 2022-12-28; the bundled equities end on 2022-12-28); production
leaves the end unset. Both are read when the definitions load: restart ``dagster dev`` after a change.
"""
from __future__ import annotations

import datetime as dt
import os

from zoneinfo import ZoneInfo

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


START_ENV, END_ENV = "PAIRS_PARTITIONS_START", "PAIRS_PARTITIONS_END"


def partition_bounds(env=os.environ) -> tuple[str, str | None]:
    """First and last (inclusive) session of the partitions, from ``PAIRS_PARTITIONS_START``/``_END``.

    Raises
    ------
    ValueError
        When a setting is not a ``YYYY-MM-DD`` date, is before 1990-01-02, or the end precedes the start.
    """
    start, end = env.get(START_ENV, "").strip() or CALENDAR_START, env.get(END_ENV, "").strip() or None
    for name, value in ((START_ENV, start), (END_ENV, end)):
        try:
            if value is not None and (dt.date.fromisoformat(value) < dt.date.fromisoformat(CALENDAR_START)):
                raise ValueError("before the calendar")
        except ValueError as error:
            raise ValueError(f"{name}={value!r} is not a YYYY-MM-DD date on or after {CALENDAR_START} ({error}); "
                             f"fix the environment setting or unset it") from None
    if end is not None and end < start:
        raise ValueError(f"{END_ENV}={end} is before {START_ENV}={start}; fix or unset one of them")
    return start, end


def build_partitions(start: str, end: str | None) -> dg.TimeWindowPartitionsDefinition:
    """Trading-day partitions from ``start`` through ``end`` (inclusive; None: through today)."""
    last = None if end is None else str(dt.date.fromisoformat(end) + dt.timedelta(days=1))  # Dagster's end is exclusive
    return dg.TimeWindowPartitionsDefinition(
        cron_schedule="0 0 * * 1-5", start=start, end=last, fmt="%Y-%m-%d", timezone=CALENDAR_TIMEZONE,
        end_offset=1 if end is None else 0, exclusions=_non_trading_weekdays())


def build_month_partitions(start: str, end: str | None) -> dg.TimeWindowPartitionsDefinition:
    """Monthly ``YYYY-MM`` partitions covering the sessions ``start`` .. ``end`` (None: through this month)."""
    first = dt.date.fromisoformat(start).replace(day=1)
    last = None
    if end is not None:
        end_day = dt.date.fromisoformat(end)
        last = (end_day.replace(day=28) + dt.timedelta(days=4)).strftime(MONTH_FORMAT)  # next month, exclusive
    # end_offset=1: the month in progress exists (it holds the sessions so far), so the after-close
    # schedule can materialize it; ``end`` still caps the last month.
    return dg.MonthlyPartitionsDefinition(start_date=first.strftime(MONTH_FORMAT), end_date=last, fmt=MONTH_FORMAT,
                                          timezone=CALENDAR_TIMEZONE, end_offset=1)


MONTH_FORMAT = "%Y-%m"
trading_day_partitions = build_partitions(*partition_bounds())
price_month_partitions = build_month_partitions(*partition_bounds())


def month_key(session: str) -> str:
    """The ``price_month_partitions`` key of a session (``2022-12-28`` -> ``2022-12``)."""
    return dt.date.fromisoformat(session).strftime(MONTH_FORMAT)


def partition_key_format(partitions_def) -> str:
    """How a row's day becomes its partition key: a time partitions' own format (sessions ``%Y-%m-%d``,
    months ``%Y-%m``); ``%Y-%m-%d`` for any other partitions."""
    return partitions_def.fmt if isinstance(partitions_def, dg.TimeWindowPartitionsDefinition) else "%Y-%m-%d"


def session_range_tags(partitions_def, first: str, last: str) -> dict[str, str]:
    """Run tags of a ranged run over the sessions ``first`` .. ``last`` for a job with ``partitions_def``
    (session keys as they are, or the months that hold them)."""
    convert = month_key if getattr(partitions_def, "fmt", None) == MONTH_FORMAT else str
    return {"dagster/asset_partition_range_start": convert(first),
            "dagster/asset_partition_range_end": convert(last)}


def _today() -> dt.date:
    return dt.datetime.now(ZoneInfo(CALENDAR_TIMEZONE)).date()


def partition_days(context) -> pd.DatetimeIndex:
    """The trading sessions a (possibly ranged) run materializes, as a ``DatetimeIndex`` named ``date``.

    For session partitions, the sessions of the run's keys; for month partitions, the sessions of the
    run's months within ``PAIRS_PARTITIONS_START``/``_END`` and not after today (New York).
    """
    window = context.partition_time_window
    first, last = window.start.date(), window.end.date() - dt.timedelta(days=1)
    start, end = partition_bounds()
    first = max(first, dt.date.fromisoformat(start))
    last = min(last, _today() if end is None else dt.date.fromisoformat(end))
    days = trading_days(str(first), str(last)) if first <= last else pd.DatetimeIndex([])
    return pd.DatetimeIndex(days, name="date")


def latest_session_request(asset_event, run_key_prefix: str, what: str):
    """A ``RunRequest`` for the ``latest_session`` an asset's materialization names, or a ``SkipReason``.

    Parameters
    ----------
    asset_event : dagster.EventLogEntry
        The materialization an asset sensor received.
    run_key_prefix : str
        Start of the run key (``<prefix>-<session>-<run id>``: one run per session and materialization).
    what : str
        The asset, in words, for the skip reason.
    """
    materialization = asset_event.asset_materialization
    session = str(materialization.metadata["latest_session"].value) if materialization else ""
    if not trading_day_partitions.has_partition_key(session):
        return dg.SkipReason(f"{what} name no trading session ({session!r})")
    return dg.RunRequest(run_key=f"{run_key_prefix}-{session}-{asset_event.run_id}", partition_key=session)
