"""The one trading calendar of the platform: NYSE trading days.

Trading days are weekdays less the NYSE holidays (rules below) and the known one-off closures.
The rules are those in force on the NYSE since 1998 (MLK day) / 2022 (Juneteenth); they are applied
to every year in ``CALENDAR_START_YEAR..CALENDAR_END_YEAR`` (dates before 1990 are not checked against
history: the pre-1980 special closures are not listed).

Everything is vectorized through ``numpy.busdaycalendar``: each function takes one date or an array of
dates and answers in kind (a scalar ``pd.Timestamp``/``bool`` for a scalar, an array/index otherwise).
"""
from __future__ import annotations

from datetime import date as _date
from datetime import timedelta
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

CALENDAR_START_YEAR = 1970
CALENDAR_END_YEAR = 2100

#: Known one-off NYSE closures (national days of mourning, 9/11, hurricane Sandy).
SPECIAL_CLOSURES: tuple[str, ...] = (
    "1985-09-27",  # hurricane Gloria
    "1994-04-27",  # President Nixon's funeral
    "2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14",  # September 11
    "2004-06-11",  # President Reagan's funeral
    "2007-01-02",  # President Ford's day of mourning
    "2012-10-29", "2012-10-30",  # hurricane Sandy
    "2018-12-05",  # President G. H. W. Bush's day of mourning
    "2025-01-09",  # President Carter's day of mourning
)


def _easter(year: int) -> _date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return _date(year, month, day + 1)


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> _date:
    """The n-th ``weekday`` (Mon=0) of a month; n=-1 is the last one."""
    if n > 0:
        first = _date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    nxt = _date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: _date) -> _date:
    """Saturday holidays are observed on Friday, Sunday holidays on Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def nyse_holidays(year: int) -> list[_date]:
    """The NYSE full-day holidays of one year (weekday dates only)."""
    new_year = _date(year, 1, 1)
    days = [] if new_year.weekday() == 5 else [_observed(new_year)]  # Saturday: not observed on Dec 31
    if year >= 1998:
        days.append(_nth_weekday(year, 1, 0, 3))  # Martin Luther King Jr. day
    days.append(_nth_weekday(year, 2, 0, 3))  # Washington's birthday
    days.append(_easter(year) - timedelta(days=2))  # Good Friday
    days.append(_nth_weekday(year, 5, 0, -1))  # Memorial day
    if year >= 2022:
        days.append(_observed(_date(year, 6, 19)))  # Juneteenth
    days.append(_observed(_date(year, 7, 4)))  # Independence day
    days.append(_nth_weekday(year, 9, 0, 1))  # Labor day
    days.append(_nth_weekday(year, 11, 3, 4))  # Thanksgiving
    days.append(_observed(_date(year, 12, 25)))  # Christmas
    return [d for d in days if d.weekday() < 5]


@lru_cache(maxsize=1)
def _busday_calendar() -> np.busdaycalendar:
    holidays = [d for y in range(CALENDAR_START_YEAR, CALENDAR_END_YEAR + 1) for d in nyse_holidays(y)]
    holidays += [_date.fromisoformat(s) for s in SPECIAL_CLOSURES]
    return np.busdaycalendar(weekmask="1111100", holidays=np.array(holidays, dtype="datetime64[D]"))


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
