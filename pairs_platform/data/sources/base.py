"""The price-source protocol and the long-bar format every source returns."""
from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np
import pandas as pd

from pairs_platform.data.instruments import ASSET_CLASSES, asset_class_of

#: Columns of long bars, in order. Optional extras: ``contract`` (futures: the traded contract code),
#: ``prev_close`` (futures: the same contract's close on the previous trading day, so a roll day's
#: move can be told apart from the roll gap) and ``yield`` (bonds, decimal).
BAR_COLUMNS: tuple[str, ...] = ("date", "instrument_id", "open", "high", "low", "close", "volume")
PRICE_FIELDS: tuple[str, ...] = ("open", "high", "low", "close", "volume")
OPTIONAL_COLUMNS: tuple[str, ...] = ("contract", "prev_close", "yield")
FLOAT_OPTIONAL: tuple[str, ...] = ("prev_close", "yield")


@runtime_checkable
class PriceSource(Protocol):
    """Where raw daily bars come from.

    ``fetch`` returns LONG bars (``BAR_COLUMNS`` plus optional ``contract``/``yield``) for the given
    instruments from ``start`` to ``end`` inclusive, one row per (date, instrument) the source has,
    sorted by date then instrument; dates are tz-naive midnights (crypto sources include weekend days).
    """

    name: str
    asset_classes: tuple[str, ...]

    def instrument_ids(self, asset_class: str | None = None) -> list[str]:
        """The instrument ids this source serves, optionally of one asset class."""
        ...

    def instruments(self) -> pd.DataFrame:
        """The instrument table of what this source serves (``INSTRUMENT_COLUMNS``, by instrument_id)."""
        ...

    def fetch(self, instrument_ids: list[str], start: Any, end: Any) -> pd.DataFrame:
        """Long bars for ``instrument_ids`` from ``start`` to ``end`` inclusive."""
        ...


def empty_bars(extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """An empty long-bar frame with the right dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in BAR_COLUMNS})
    frame["date"] = pd.Series(dtype="datetime64[ns]")
    frame["instrument_id"] = pd.Series(dtype=str)
    for col in extra:
        frame[col] = pd.Series(dtype=str if col == "contract" else "float64")
    return frame


def standardize_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """Order columns, set dtypes (date datetime64[ns], prices float64), sort by (date, instrument_id)."""
    out = bars.copy()
    for col in PRICE_FIELDS:
        if col not in out.columns:
            out[col] = np.nan
    out["date"] = pd.to_datetime(out["date"]).astype("datetime64[ns]")
    out["instrument_id"] = out["instrument_id"].astype(str)
    out = out.astype({c: "float64" for c in PRICE_FIELDS})
    extras = [c for c in OPTIONAL_COLUMNS if c in out.columns]
    for col in FLOAT_OPTIONAL:
        if col in extras:
            out[col] = out[col].astype("float64")
    out = out[list(BAR_COLUMNS) + extras]
    return out.sort_values(["date", "instrument_id"], kind="stable").reset_index(drop=True)


def date_bounds(start: Any, end: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    """``start``/``end`` as midnight timestamps; raise ``ValueError`` if unparseable or reversed."""
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    if hi < lo:
        raise ValueError(f"fetch: end {hi.date()} is before start {lo.date()}")
    return lo, hi


def check_requested(source_name: str, requested: list[str], available: list[str]) -> list[str]:
    """Return ``requested`` as a list, raising ``KeyError`` naming ids the source does not serve."""
    requested = [requested] if isinstance(requested, str) else list(requested)
    unknown = sorted(set(requested) - set(available))
    if unknown:
        raise KeyError(f"source '{source_name}' has no data for {unknown}; it serves {len(available)} "
                       f"instruments (see .instrument_ids()). Pick another source or add the data.")
    return requested


def filter_by_class(ids: list[str], asset_class: str | None) -> list[str]:
    """Keep ids of one asset class (all when ``asset_class`` is None)."""
    if asset_class is None:
        return sorted(ids)
    if asset_class not in ASSET_CLASSES:
        raise ValueError(f"unknown asset class {asset_class!r}; use one of {ASSET_CLASSES}")
    return sorted(i for i in ids if asset_class_of(i) == asset_class)
