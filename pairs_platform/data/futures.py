"""Futures contract calendars: listed contracts, expiries, roll dates and the front contract.

Contract codes read ``<symbol><month code><year>``, e.g. ``CLZ2023``. The front contract on a date is
the first listed contract whose roll date is after that date; on its roll date (``roll_days`` trading
days before expiry) the position moves to the next contract. See ``RollRule`` in ``instruments``.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from pairs_platform.data.calendar import add_trading_days, previous_trading_day, session_for
from pairs_platform.data.instruments import MONTH_CODES, RollRule


def _expiries(months: np.ndarray, years: np.ndarray, rule: str) -> pd.DatetimeIndex:
    """Expiry trading day of each (contract month, year)."""
    if rule == "third_friday":
        first = pd.to_datetime(pd.DataFrame({"year": years, "month": months, "day": 1}))
        offset = (4 - first.dt.day_of_week) % 7 + 14  # Friday = 4
        raw = first + pd.to_timedelta(offset, unit="D")
    elif rule == "prior_month_20th":
        prior_year = np.where(months == 1, years - 1, years)
        prior_month = np.where(months == 1, 12, months - 1)
        raw = pd.to_datetime(pd.DataFrame({"year": prior_year, "month": prior_month, "day": 20}))
    else:
        raise ValueError(f"unknown expiry rule {rule!r}")
    raw = pd.DatetimeIndex(raw)
    on_or_before = previous_trading_day(raw + pd.Timedelta(days=1))  # last trading day <= raw
    return pd.DatetimeIndex(on_or_before, name="expiry")


def contract_schedule(symbol: str, roll_rule: str, first_year: int, last_year: int) -> pd.DataFrame:
    """Listed contracts with delivery years ``first_year..last_year``: columns ``contract, expiry,
    roll_date``, sorted by expiry. ``roll_date`` is ``roll_days`` trading days before ``expiry``."""
    rule = RollRule.parse(roll_rule, symbol)
    month_numbers = np.array([MONTH_CODES.index(c) + 1 for c in rule.months])
    years = np.repeat(np.arange(first_year, last_year + 1), len(month_numbers))
    months = np.tile(month_numbers, last_year - first_year + 1)
    expiry = _expiries(months, years, rule.expiry)
    roll = add_trading_days(expiry, -rule.roll_days)
    codes = [f"{symbol}{MONTH_CODES[m - 1]}{y}" for m, y in zip(months, years)]
    return pd.DataFrame({"contract": codes, "expiry": expiry.values.astype("datetime64[ns]"),
                         "roll_date": roll.values.astype("datetime64[ns]")})


def front_contract_index(dates: Any, schedule: pd.DataFrame) -> np.ndarray:
    """Row of ``schedule`` that is the front contract on each date (first contract whose roll date is
    strictly after the date's session). Raises ``ValueError`` if a date is past the schedule."""
    sessions = pd.DatetimeIndex(session_for(pd.DatetimeIndex(dates))).values
    idx = np.searchsorted(schedule["roll_date"].values, sessions, side="right")
    if len(idx) and idx.max() >= len(schedule):
        raise ValueError("front_contract_index: dates beyond the last listed contract; extend the schedule")
    return idx


def front_contract(dates: Any, symbol: str, roll_rule: str) -> np.ndarray:
    """Front contract code on each date under ``roll_rule`` (what a live order trades).

    Parameters
    ----------
    dates : array-like of dates
        Sessions to resolve.
    symbol : str
        Futures root symbol (e.g. ``'CL'``).
    roll_rule : str
        The instrument table's roll rule.

    Returns
    -------
    np.ndarray
        Contract codes (e.g. ``'CLG2024'``), one per date.
    """
    index = pd.DatetimeIndex(dates)
    if not len(index):
        return np.array([], dtype=object)
    schedule = contract_schedule(symbol, roll_rule, index.min().year - 1, index.max().year + 2)
    return schedule["contract"].to_numpy()[front_contract_index(index, schedule)]
