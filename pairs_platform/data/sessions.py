"""Intraday sessions of real exchanges (``exchange_calendars``): opens, closes, early closes, bar grids.

Every timestamp here is tz-aware UTC; a session is labelled by its date (tz-naive midnight, the
exchange calendar's session label: a CME Globex session that opens Sunday 17:00 Chicago is
Monday's session). A bar is stamped with its END time: the 5-minute bar 09:30-09:35 New York is
stamped 09:35, and the last bar of a session ends at the close (a shorter bar when the session length
is not a multiple of the bar size, e.g. the 15:30-16:00 hourly bar).

Exchanges by asset class (:data:`SESSION_EXCHANGE`): equities XNYS (09:30-16:00 New York, early
closes at 13:00), futures CMES (CME Globex, nearly 23 hours, holiday early closes), crypto ``24/7``.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import exchange_calendars as xcals
import numpy as np
import pandas as pd

SESSION_EXCHANGE: dict[str, str] = {"equity": "XNYS", "future": "CMES", "crypto": "24/7"}
"""The exchange calendar whose sessions an asset class trades in (intraday)."""


@lru_cache(maxsize=16)
def exchange_calendar(exchange: str) -> xcals.ExchangeCalendar:
    """The ``exchange_calendars`` calendar of ``exchange`` (e.g. 'XNYS', 'CMES', '24/7'), built once."""
    try:
        return xcals.get_calendar(exchange, start="1990-01-01", end="2060-12-31")
    except xcals.errors.InvalidCalendarName as exc:
        raise ValueError(f"unknown exchange calendar {exchange!r}; use one of "
                         f"{sorted(set(SESSION_EXCHANGE.values()))} or any exchange_calendars name") from exc


def bar_timedelta(bar_size: Any) -> pd.Timedelta:
    """``bar_size`` ('5min', '1h', a Timedelta) as a positive Timedelta that divides one day."""
    try:
        step = pd.Timedelta(bar_size)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"bar_size={bar_size!r} is not a duration; pass e.g. '5min' or '1h'") from exc
    if step <= pd.Timedelta(0) or pd.Timedelta("1D") % step != pd.Timedelta(0):
        raise ValueError(f"bar_size={bar_size!r} must be positive and divide one day (e.g. '5min', '1h')")
    return step


def session_schedule(exchange: str, start: Any, end: Any) -> pd.DataFrame:
    """Sessions from ``start`` to ``end`` (session dates, inclusive): columns ``open``, ``close`` (UTC).

    Index: the session dates (tz-naive, named ``session``). Breaks (lunch) are not modelled.
    """
    cal = exchange_calendar(exchange)
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    frame = cal.schedule.loc[lo:hi, ["open", "close"]]
    frame.index = pd.DatetimeIndex(frame.index, name="session").astype("datetime64[ns]")
    return frame


def bar_grid(schedule: pd.DataFrame, bar_size: Any) -> pd.DataFrame:
    """Every bar of every session of ``schedule``: columns ``timestamp`` (bar end, UTC), ``session``, ``slot``.

    ``slot`` counts bars from the session open (0 = the first bar), so the same slot is the same
    time after the open on every session (early closes only lose their last slots).
    """
    step = bar_timedelta(bar_size)
    opens = schedule["open"].to_numpy("datetime64[ns]")
    length = schedule["close"].to_numpy("datetime64[ns]") - opens
    counts = -(-length // step.to_timedelta64())  # ceil: a last, shorter bar ends at the close
    first = np.repeat(np.cumsum(counts) - counts, counts)
    slot = np.arange(int(counts.sum())) - first
    ends = np.repeat(opens, counts) + (slot + 1) * step.to_timedelta64()
    ends = np.minimum(ends, np.repeat(opens + length, counts))
    return pd.DataFrame({"timestamp": pd.DatetimeIndex(ends).tz_localize("UTC"),
                         "session": np.repeat(schedule.index.values, counts),
                         "slot": slot.astype(np.int64)})


def session_bars(exchange: str, start: Any, end: Any, bar_size: Any) -> pd.DataFrame:
    """:func:`bar_grid` of the sessions of ``exchange`` from ``start`` to ``end`` (session dates)."""
    return bar_grid(session_schedule(exchange, start, end), bar_size)


def label_bars(timestamps: Any, exchange: str) -> pd.DataFrame:
    """Session and minutes since the open of each bar-end timestamp; raise for bars outside a session.

    ``timestamps`` must be tz-aware. Returns columns ``session``, ``minutes_from_open``,
    ``minutes_to_close`` (to the session's real close: early closes count).
    """
    stamps = pd.DatetimeIndex(timestamps)
    if stamps.tz is None:
        raise ValueError("intraday timestamps must be tz-aware; localize them (e.g. tz_localize('America/New_York'))")
    stamps = stamps.tz_convert("UTC")
    if len(stamps) == 0:
        return pd.DataFrame({"session": pd.DatetimeIndex([]), "minutes_from_open": [], "minutes_to_close": []})
    sched = session_schedule(exchange, (stamps.min() - pd.Timedelta("2D")).tz_localize(None),
                             (stamps.max() + pd.Timedelta("2D")).tz_localize(None))
    opens, closes = pd.DatetimeIndex(sched["open"]), pd.DatetimeIndex(sched["close"])
    pos = opens.searchsorted(stamps, side="left") - 1  # the last session opening strictly before the bar end
    inside = (pos >= 0) & (stamps <= closes[np.clip(pos, 0, None)])
    if not inside.all():
        bad = stamps[~inside][0]
        raise ValueError(f"bar ending {bad} lies outside every {exchange} session (holiday, weekend or "
                         "after the close); drop it or pick the instrument's exchange calendar")
    return pd.DataFrame({"session": sched.index[pos],
                         "minutes_from_open": (stamps - opens[pos]) / pd.Timedelta("1min"),
                         "minutes_to_close": (closes[pos] - stamps) / pd.Timedelta("1min")},
                        index=pd.RangeIndex(len(stamps)))
