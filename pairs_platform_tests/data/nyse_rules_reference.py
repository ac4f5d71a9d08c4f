"""The platform's former hand-written NYSE rules (before exchange_calendars), kept as a test reference.

``test_calendar_library`` proves the library's XNYS trading days equal these rules' over 1990-2030.
"""
from __future__ import annotations

from datetime import date as _date
from datetime import timedelta

import numpy as np
import pandas as pd

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


def reference_trading_days(start: str, end: str) -> pd.DatetimeIndex:
    """Weekdays in [start, end] less the rule holidays and the one-off closures above."""
    years = range(pd.Timestamp(start).year, pd.Timestamp(end).year + 1)
    closed = [d for y in years for d in nyse_holidays(y)] + [_date.fromisoformat(s) for s in SPECIAL_CLOSURES]
    weekdays = pd.bdate_range(start, end)
    return weekdays[~weekdays.isin(pd.DatetimeIndex(np.array(closed, dtype="datetime64[D]")))]
