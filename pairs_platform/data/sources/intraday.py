"""The intraday-source protocol and the long intraday-bar format every intraday source returns.

Long intraday bars: one row per (bar, instrument), columns :data:`INTRADAY_COLUMNS`. ``timestamp``
is the bar's END time, tz-aware UTC; ``session`` is the exchange session it belongs to (tz-naive
date, see :mod:`pairs_platform.data.sessions`). Sources: the synthetic one
(:mod:`~pairs_platform.data.sources.synthetic_intraday`), a files folder
(:mod:`~pairs_platform.data.sources.intraday_files`) and IB historical bars
(:class:`pairs_platform.ibkr.IBSource`, registered as the ``ib`` kind of
:mod:`~pairs_platform.data.sources.intraday_factory` by ``import pairs_platform.ibkr``). Every source
labels bars with :func:`with_sessions` (a bar outside every session raises), checks their spacing
with :func:`check_bar_spacing` and returns :func:`standardize_intraday` (one bar per instrument and
timestamp).
"""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from pairs_platform.data.instruments import asset_class_of
from pairs_platform.data.sessions import SESSION_EXCHANGE, bar_timedelta, label_bars

INTRADAY_COLUMNS: tuple[str, ...] = ("timestamp", "session", "instrument_id", "open", "high", "low", "close",
                                     "volume")
_PRICES = ("open", "high", "low", "close", "volume")


@runtime_checkable
class IntradaySource(Protocol):
    """Where raw intraday bars come from.

    ``fetch_intraday`` returns long intraday bars (:data:`INTRADAY_COLUMNS`) of ``instrument_ids``
    for the sessions ``start..end`` (session dates, inclusive) at ``bar_size`` ('5min', '1h', ...),
    sorted by timestamp then instrument.
    """

    name: str

    def fetch_intraday(self, instrument_ids: list[str], start: Any, end: Any, bar_size: str) -> pd.DataFrame:
        """Long intraday bars for the sessions ``start..end`` inclusive."""
        ...


def session_exchange(instrument_id: str) -> str:
    """The exchange calendar an instrument trades intraday on (by asset class)."""
    asset_class = asset_class_of(instrument_id)
    if asset_class not in SESSION_EXCHANGE:
        raise ValueError(f"instrument {instrument_id!r}: no intraday session calendar for asset class "
                         f"{asset_class!r}; intraday supports {sorted(SESSION_EXCHANGE)}")
    return SESSION_EXCHANGE[asset_class]


def standardize_intraday(bars: pd.DataFrame) -> pd.DataFrame:
    """Order columns and dtypes (timestamp UTC in ns, session datetime64[ns], prices float64), sort, check
    uniqueness."""
    out = bars.copy()
    out["timestamp"] = pd.DatetimeIndex(out["timestamp"]).tz_convert("UTC").as_unit("ns")
    out["session"] = pd.to_datetime(out["session"]).astype("datetime64[ns]")
    out["instrument_id"] = out["instrument_id"].astype(str)
    out = out.astype({c: "float64" for c in _PRICES})[list(INTRADAY_COLUMNS)]
    dup = out.duplicated(["timestamp", "instrument_id"])
    if dup.any():
        row = out[dup].iloc[0]
        raise ValueError(f"intraday bars: {row['instrument_id']!r} has two bars ending {row['timestamp']}; "
                         "deduplicate the source (one bar per instrument and timestamp)")
    return out.sort_values(["timestamp", "instrument_id"], kind="stable").reset_index(drop=True)


def with_sessions(bars: pd.DataFrame) -> pd.DataFrame:
    """Add the ``session`` column from each instrument's exchange calendar (raises for off-session bars)."""
    out = bars.reset_index(drop=True).copy()
    out["session"] = pd.NaT
    for exchange, rows in out.groupby(out["instrument_id"].map(session_exchange)).groups.items():
        out.loc[rows, "session"] = label_bars(out.loc[rows, "timestamp"], exchange)["session"].to_numpy()
    return out


def wide_closes(bars: pd.DataFrame) -> pd.DataFrame:
    """Wide closes (bar timestamps x instrument ids) of long intraday bars."""
    wide = bars.pivot(index="timestamp", columns="instrument_id", values="close").sort_index()
    wide.index.name, wide.columns.name = "timestamp", None
    return wide.astype(np.float64)


def check_bar_spacing(bars: pd.DataFrame, bar_size: str, where: str, fix: str) -> None:
    """Refuse bars whose usual spacing within a session is not ``bar_size``.

    Parameters
    ----------
    bars : pd.DataFrame
        Long intraday bars with ``timestamp``, ``session`` and ``instrument_id``.
    bar_size : str
        The requested bar size ('5min', '1h', ...).
    where : str
        Where the bars came from, for the message (e.g. ``"intraday files in /data/bars"``).
    fix : str
        What the user can do about it, for the message.

    Raises
    ------
    ValueError
        When the most common gap between consecutive bars of an instrument's session differs from
        ``bar_size`` (a first or last shorter bar does not count: the mode decides).
    """
    step = bar_timedelta(bar_size)
    gaps = bars.sort_values("timestamp").groupby(["instrument_id", "session"])["timestamp"].diff().dropna()
    if len(gaps) and gaps.mode().iloc[0] != step:
        found = gaps.mode().iloc[0]
        raise ValueError(f"{where}: bars are {found} apart, not the requested bar_size {bar_size!r}; "
                         + fix.format(found=found))
