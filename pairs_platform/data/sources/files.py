"""The files source: a directory of CSV or Parquet files that a user points to.

Two layouts, mixable in one directory (``*.csv``, ``*.csv.gz``, ``*.parquet``):
- one file per instrument, named after the id with ``:`` replaced by ``_`` (``EQ_KO.csv``,
  ``CRYPTO_BTC-USD.parquet``), columns ``date, close`` and optionally ``open, high, low, volume``,
  ``contract`` and ``prev_close`` (futures), ``yield`` (bonds);
- long files with an ``instrument_id`` column and the same columns.

An optional ``instruments.csv`` in the same directory is the user's instrument table (read with
``instruments_from_csv``, available as ``FileSource.instruments()``); it is not a price file.

Column names are case-insensitive. Garbage is never dropped silently: a row with a missing or
unparseable date, or a price field that is not a number, raises ``DataQualityError`` naming the file,
row, instrument, date and field. Empty price cells are allowed (they are gaps, handled by cleaning).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pairs_platform.data.errors import DataQualityError
from pairs_platform.data.instruments import (
    ID_PREFIX, asset_class_of, default_instruments, instruments_from_csv,
)
from pairs_platform.data.sources.base import (
    FLOAT_OPTIONAL, OPTIONAL_COLUMNS, PRICE_FIELDS, check_requested, date_bounds, empty_bars, filter_by_class,
    standardize_bars,
)

_SUFFIXES = (".csv", ".csv.gz", ".parquet")
INSTRUMENTS_FILE = "instruments.csv"
_FIX_DATE = "write dates as YYYY-MM-DD in the 'date' column (or delete the row)"
_FIX_PRICE = "write a plain number (or leave the cell empty for a missing price)"


def instrument_id_from_filename(path: Path) -> str:
    """``EQ_KO.csv`` -> ``EQ:KO`` (only the first ``_`` becomes ``:``)."""
    stem = path.name
    for suffix in _SUFFIXES:
        if stem.lower().endswith(suffix):
            stem = stem[: -len(suffix)]
    prefix, _, symbol = stem.partition("_")
    if prefix.upper() not in ID_PREFIX or not symbol:
        raise DataQualityError(stem, None, "instrument_id", f"cannot read an instrument id from file name "
                               f"{path.name!r}", "name the file <CLASS>_<SYMBOL>.csv (e.g. EQ_KO.csv, "
                               "FUT_CL.parquet) or add an instrument_id column", location=f"file {path}")
    return f"{prefix.upper()}:{symbol}"


def _read_table(path: Path) -> pd.DataFrame:
    if path.name.lower().endswith(".parquet"):
        table = pd.read_parquet(path)
    else:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    table.columns = [str(c).strip().lower() for c in table.columns]
    return table


def _row_label(path: Path, positions: np.ndarray) -> str:
    row = int(positions[0]) + (2 if not path.name.lower().endswith(".parquet") else 0)
    unit = "line" if not path.name.lower().endswith(".parquet") else "row"
    more = f" (and {len(positions) - 1} more row(s))" if len(positions) > 1 else ""
    return f"file {path}, {unit} {row}{more}"


def _parse_dates(table: pd.DataFrame, path: Path, ids: pd.Series) -> pd.Series:
    raw = table["date"]
    dates = pd.to_datetime(raw, errors="coerce", format="mixed") if raw.dtype == object or \
        pd.api.types.is_string_dtype(raw) else pd.to_datetime(raw, errors="coerce")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if len(bad):
        value = raw.iloc[bad[0]]
        problem = "missing date" if pd.isna(value) or str(value).strip() == "" else f"unparseable date {value!r}"
        raise DataQualityError(ids.iloc[bad[0]], None, "date", problem, _FIX_DATE,
                               location=_row_label(path, bad))
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    return dates.dt.normalize()


def _parse_prices(table: pd.DataFrame, path: Path, ids: pd.Series, dates: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame(index=table.index)
    for field in [f for f in (*PRICE_FIELDS, *FLOAT_OPTIONAL) if f in table.columns]:
        raw = table[field]
        values = pd.to_numeric(raw, errors="coerce")
        bad = np.flatnonzero((values.isna() & raw.notna()).to_numpy())
        if len(bad):
            raise DataQualityError(ids.iloc[bad[0]], dates.iloc[bad[0]], field,
                                   f"not a number: {raw.iloc[bad[0]]!r}", _FIX_PRICE,
                                   location=_row_label(path, bad))
        out[field] = values.astype("float64")
    return out


def read_price_file(path: str | Path) -> pd.DataFrame:
    """Read one user file into long bars, raising ``DataQualityError`` on garbage rows."""
    path = Path(path)
    table = _read_table(path)
    if "date" not in table.columns or "close" not in table.columns:
        raise DataQualityError(None, None, "date/close", f"columns {list(table.columns)} lack 'date' or "
                               "'close'", "add a header row with at least date and close",
                               location=f"file {path}")
    if "instrument_id" in table.columns:
        ids = table["instrument_id"].astype(str).str.strip()
        bad = np.flatnonzero((table["instrument_id"].isna() | (ids == "")).to_numpy())
        if len(bad):
            raise DataQualityError(None, table["date"].iloc[bad[0]], "instrument_id", "missing instrument id",
                                   "fill in the instrument_id (e.g. EQ:KO)", location=_row_label(path, bad))
        for iid in ids.unique():
            asset_class_of(iid)  # raises on malformed ids
    else:
        ids = pd.Series(instrument_id_from_filename(path), index=table.index)
    dates = _parse_dates(table, path, ids)
    bars = _parse_prices(table, path, ids, dates)
    bars.insert(0, "instrument_id", ids.to_numpy())
    bars.insert(0, "date", dates.to_numpy())
    if "contract" in table.columns:
        bars["contract"] = table["contract"].astype(str).where(table["contract"].notna())
    return bars


class FileSource:
    """Bars from a directory of CSV/Parquet files (see module docstring for the layouts).

    Files are read once, on first use, and validated row by row (vectorized).
    """

    name = "files"
    asset_classes = ("equity", "future", "fixed_income", "crypto")

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"files source: {self.path} is not a directory; point 'path' at the "
                                    "folder holding your CSV/Parquet price files")
        self._bars: pd.DataFrame | None = None

    def files(self) -> list[Path]:
        """The price files found in the directory (sorted)."""
        return sorted(p for p in self.path.iterdir() if p.is_file() and p.name.lower().endswith(_SUFFIXES)
                      and p.name.lower() != INSTRUMENTS_FILE)

    def instruments(self) -> pd.DataFrame:
        """The directory's ``instruments.csv`` if present, else the ``default_instruments()`` rows of the
        ids found (``KeyError`` naming ids that need an ``instruments.csv`` row)."""
        table_path = self.path / INSTRUMENTS_FILE
        if table_path.exists():
            return instruments_from_csv(table_path)
        table, ids = default_instruments(), self.instrument_ids()
        unknown = sorted(set(ids) - set(table.index))
        if unknown:
            raise KeyError(f"files source: no instrument metadata for {unknown}; add {table_path} "
                           "(columns: see docs/data.md)")
        return table.loc[ids]

    def bars(self) -> pd.DataFrame:
        """All bars of all files (long, standardized; cached)."""
        if self._bars is None:
            files = self.files()
            if not files:
                raise FileNotFoundError(f"files source: no *.csv, *.csv.gz or *.parquet files in {self.path}")
            self._bars = standardize_bars(pd.concat([read_price_file(p) for p in files], ignore_index=True))
        return self._bars

    def instrument_ids(self, asset_class: str | None = None) -> list[str]:
        """Instrument ids present in the files (optionally of one asset class)."""
        return filter_by_class(list(self.bars()["instrument_id"].unique()), asset_class)

    def fetch(self, instrument_ids: list[str], start: Any, end: Any) -> pd.DataFrame:
        """Long bars for ``start..end`` inclusive, exactly as in the files (duplicates included)."""
        ids = check_requested(self.name, instrument_ids, self.instrument_ids())
        lo, hi = date_bounds(start, end)
        bars = self.bars()
        mask = bars["instrument_id"].isin(ids) & bars["date"].between(lo, hi)
        extra = tuple(c for c in OPTIONAL_COLUMNS if c in bars.columns)
        return bars.loc[mask].reset_index(drop=True) if mask.any() else empty_bars(extra)
