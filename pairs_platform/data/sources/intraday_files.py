"""Intraday bars from a folder of CSV/Parquet files with a timestamp column and an explicit timezone.

Layouts as for daily files (:mod:`pairs_platform.data.sources.files`): one file per instrument
named ``<CLASS>_<SYMBOL>.csv|.csv.gz|.parquet`` or long files with an ``instrument_id`` column;
columns ``timestamp, close`` and optionally ``open, high, low, volume`` (case-insensitive).
``timestamp`` is the bar's END time. Naive timestamps are read in the folder's ``timezone`` (required:
no guessing, e.g. 'America/New_York'); timestamps with an offset keep it. Each bar is assigned to its
instrument's exchange session (:mod:`pairs_platform.data.sessions`); a bar outside every session, an
unparseable timestamp or a bar spacing other than the requested ``bar_size`` raises, naming the file.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from pairs_platform.data.errors import DataInputError
from pairs_platform.data.sources.base import check_requested, date_bounds
from pairs_platform.data.sources.files import parse_prices, read_table, instrument_id_from_filename
from pairs_platform.data.sources.intraday import (
    INTRADAY_COLUMNS, check_bar_spacing, standardize_intraday, with_sessions,
)

_SUFFIXES = (".csv", ".csv.gz", ".parquet")


def _timestamps(table: pd.DataFrame, path: Path, timezone: str) -> pd.Series:
    if "timestamp" not in table.columns:
        raise DataInputError(None, None, "timestamp", f"no 'timestamp' column (columns: {list(table.columns)})",
                             "add a 'timestamp' column with each bar's end time", location=f"file {path}")
    raw = table["timestamp"]
    parsed = pd.to_datetime(raw, errors="coerce", utc=False, format="ISO8601")
    if parsed.isna().any():
        row = int(parsed.isna().to_numpy().argmax())
        raise DataInputError(None, None, "timestamp", f"unparseable timestamp {raw.iloc[row]!r} (row {row})",
                             "write ISO timestamps, e.g. 2024-03-01 09:35 or 2024-03-01T14:35Z",
                             location=f"file {path}")
    stamps = pd.DatetimeIndex(parsed)
    stamps = stamps.tz_localize(timezone) if stamps.tz is None else stamps
    return pd.Series(stamps.tz_convert("UTC"), index=table.index)


def read_intraday_file(path: str | Path, timezone: str) -> pd.DataFrame:
    """One file as long intraday bars (without ``session``)."""
    path = Path(path)
    table = read_table(path)
    stamps = _timestamps(table, path, timezone)
    ids = table["instrument_id"].astype(str) if "instrument_id" in table.columns else \
        pd.Series(instrument_id_from_filename(path), index=table.index)
    prices = parse_prices(table, path, ids, stamps)
    out = prices.assign(timestamp=stamps, instrument_id=ids)
    for field in ("open", "high", "low", "volume"):
        if field not in out.columns:
            out[field] = float("nan")
    return out


class IntradayFileSource:
    """Intraday bars from ``path`` (a folder); implements :class:`~pairs_platform.data.sources.intraday.IntradaySource`."""

    name = "intraday_files"

    def __init__(self, path: str | Path, timezone: str) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise DataInputError(None, None, "path", f"intraday folder {self.path} does not exist",
                                 "point IntradayFileSource at a folder of CSV/Parquet files", location=str(self.path))
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"IntradayFileSource timezone={timezone!r} is not an IANA zone; pass e.g. "
                             "'America/New_York' or 'UTC'") from exc
        self.timezone = timezone

    def _files(self) -> list[Path]:
        return sorted(p for p in self.path.iterdir() if p.name.lower().endswith(_SUFFIXES))

    def _all_bars(self) -> pd.DataFrame:
        frames = [read_intraday_file(p, self.timezone) for p in self._files()]
        if not frames:
            return pd.DataFrame(columns=list(INTRADAY_COLUMNS))
        return pd.concat(frames, ignore_index=True)

    def instrument_ids(self) -> list[str]:
        """Instrument ids found in the folder."""
        return sorted(self._all_bars()["instrument_id"].unique())

    def fetch_intraday(self, instrument_ids: list[str], start: Any, end: Any, bar_size: str) -> pd.DataFrame:
        """Long intraday bars of the sessions ``start..end`` inclusive; the files' spacing must be ``bar_size``."""
        bars = self._all_bars()
        ids = check_requested(self.name, instrument_ids, sorted(bars["instrument_id"].unique()))
        lo, hi = date_bounds(start, end)
        bars = with_sessions(bars[bars["instrument_id"].isin(ids)])
        bars = bars[(bars["session"] >= lo) & (bars["session"] <= hi)]
        check_bar_spacing(bars, bar_size, f"intraday files in {self.path}",
                          "request bar_size={found} or resample the files")
        return standardize_intraday(bars)
