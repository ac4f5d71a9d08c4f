"""The daily trading calendar of the platform: NYSE trading days, from ``exchange_calendars``.

The sessions come from the maintained ``exchange_calendars`` XNYS calendar (rule holidays and the
one-off closures: 9/11, hurricane Sandy, national days of mourning, ...). This module keeps the
platform's date-only API on top of it; intraday session times (opens, closes, early closes, other
exchanges) live in :mod:`pairs_platform.data.sessions`.

Everything is vectorized through ``numpy.busdaycalendar``: each function takes one date or an array of
dates and answers in kind (a scalar ``pd.Timestamp``/``bool`` for a scalar, an array/index otherwise).
"""
from __future__ import annotations

from datetime import date as _date
from functools import lru_cache
from typing import Any

import exchange_calendars as xcals
import numpy as np
import pandas as pd

CALENDAR_START_YEAR = 1970
CALENDAR_END_YEAR = 2100
DAILY_EXCHANGE = "XNYS"
"""The exchange whose sessions are the platform's trading days."""


@lru_cache(maxsize=1)
def nyse_exchange_calendar() -> xcals.ExchangeCalendar:
    """The XNYS ``exchange_calendars`` calendar over the supported years (built once)."""
    return xcals.get_calendar(DAILY_EXCHANGE, start=f"{CALENDAR_START_YEAR}-01-01",
                              end=f"{CALENDAR_END_YEAR}-12-31")


@lru_cache(maxsize=1)
def _busday_calendar() -> np.busdaycalendar:
    sessions = nyse_exchange_calendar().sessions.values.astype("datetime64[D]")
    weekdays = pd.bdate_range(f"{CALENDAR_START_YEAR}-01-01", f"{CALENDAR_END_YEAR}-12-31").values
    closed = np.setdiff1d(weekdays.astype("datetime64[D]"), sessions)
    return np.busdaycalendar(weekmask="1111100", holidays=closed)


def nyse_holidays(year: int) -> list[_date]:
    """The NYSE rule holidays of one year that fall on weekdays (one-off closures not included)."""
    days = nyse_exchange_calendar().regular_holidays.holidays(f"{year}-01-01", f"{year}-12-31")
    return [d.date() for d in pd.DatetimeIndex(days) if d.weekday() < 5]


def _to_days(dates: Any) -> tuple[np.ndarray, bool]:
    """Dates -> datetime64[D] array (time of day dropped) and whether the input was a scalar."""
    scalar = np.ndim(dates) == 0 and not isinstance(dates, (pd.Index, pd.Series))
    values = pd.DatetimeIndex(pd.to_datetime([dates] if scalar else dates))
    if values.tz is not None:
        values = values.tz_localize(None)
    if values.hasnans:
        raise ValueError("calendar: missing/unparseable dates (NaT) given; drop or fix them first")
    days = values.values.astype("datetime64[D]")
    if len(days):
        lo, hi = days.min().astype(object).year, days.max().astype(object).year
        if lo < CALENDAR_START_YEAR or hi > CALENDAR_END_YEAR - 1:
            raise ValueError(f"calendar: dates must lie in {CALENDAR_START_YEAR}..{CALENDAR_END_YEAR - 1}, "
                             f"got years {lo}..{hi}")
    return days, scalar


def _out(days: np.ndarray, scalar: bool) -> pd.Timestamp | pd.DatetimeIndex:
    index = pd.DatetimeIndex(days.astype("datetime64[ns]"), name="date")
    return index[0] if scalar else index


def trading_days(start: Any, end: Any) -> pd.DatetimeIndex:
    """NYSE trading days from ``start`` to ``end`` inclusive, as a ``DatetimeIndex`` named ``date``."""
    (lo, hi), _ = _to_days([start, end])
    if hi < lo:
        return pd.DatetimeIndex([], dtype="datetime64[ns]", name="date")
    span = np.arange(lo, hi + np.timedelta64(1, "D"), dtype="datetime64[D]")
    return _out(span[np.is_busday(span, busdaycal=_busday_calendar())], False)


def is_trading_day(dates: Any) -> bool | np.ndarray:
    """Whether each date is an NYSE trading day (bool for a scalar, bool array otherwise)."""
    days, scalar = _to_days(dates)
    flags = np.is_busday(days, busdaycal=_busday_calendar())
    return bool(flags[0]) if scalar else flags


def next_trading_day(dates: Any) -> pd.Timestamp | pd.DatetimeIndex:
    """The first trading day strictly after each date."""
    days, scalar = _to_days(dates)
    return _out(np.busday_offset(days, 1, roll="backward", busdaycal=_busday_calendar()), scalar)


def previous_trading_day(dates: Any) -> pd.Timestamp | pd.DatetimeIndex:
    """The last trading day strictly before each date."""
    days, scalar = _to_days(dates)
    return _out(np.busday_offset(days, -1, roll="forward", busdaycal=_busday_calendar()), scalar)


def session_for(dates: Any) -> pd.Timestamp | pd.DatetimeIndex:
    """The trading day a bar belongs to: the date itself on a trading day, else the next trading day.

    A Saturday or Sunday crypto bar (or a bar on a holiday) belongs to the next trading day's session.
    """
    days, scalar = _to_days(dates)
    return _out(np.busday_offset(days, 0, roll="forward", busdaycal=_busday_calendar()), scalar)


def add_trading_days(dates: Any, n: int) -> pd.Timestamp | pd.DatetimeIndex:
    """``n`` trading days after (``n < 0``: before) each date's session (see ``session_for``)."""
    days, scalar = _to_days(dates)
    return _out(np.busday_offset(days, n, roll="forward", busdaycal=_busday_calendar()), scalar)
