"""The files source: a directory of CSV or Parquet files that a user points to.

Two layouts, mixable in one directory (``*.csv``, ``*.csv.gz``, ``*.parquet``):
- one file per instrument, named after the id with ``:`` replaced by ``_`` (``EQ_KO.csv``,
  ``CRYPTO_BTC-USD.parquet``), columns ``date, close`` and optionally ``open, high, low, volume``,
  ``contract`` and ``prev_close`` (futures), ``yield`` (bonds);
- long files with an ``instrument_id`` column and the same columns.

An optional ``instruments.csv`` in the same directory is the user's instrument table (read with
``instruments_from_csv``, available as ``FileSource.instruments()``); it is not a price file.

Column names are case-insensitive. Dates: ISO ``YYYY-MM-DD``, a stated ``date_format`` (column of
``instruments.csv`` or ``FileSource(path, date_format=...)``), or a date that reads the same day-first
and month-first (``file_dates``). Garbage is never dropped silently: a row with a missing, unparseable
or ambiguous date, or a price field that is not a finite number, raises ``DataQualityError`` naming the
file, row, instrument, date and field. A file that cannot be read (empty, truncated, a row with extra
fields), a price file with no rows, and a price file without an ``instruments.csv`` row (when that
table exists) raise ``DataInputError`` naming the file and the fix: an instrument never disappears
because its file is broken. Empty price cells are allowed (they are gaps, handled by cleaning).
"""
from __future__ import annotations

import zlib
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from pairs_platform.data.errors import DataInputError, DataQualityError
from pairs_platform.data.guards import REMOVAL_HINT
from pairs_platform.data.instruments import (
    ID_PREFIX, asset_class_of, default_instruments, instruments_from_csv,
)
from pairs_platform.data.sources.base import (
    FLOAT_OPTIONAL, OPTIONAL_COLUMNS, PRICE_FIELDS, check_requested, date_bounds, empty_bars, filter_by_class,
    standardize_bars,
)
from pairs_platform.data.sources.file_dates import parse_file_dates

_SUFFIXES = (".csv", ".csv.gz", ".parquet")
INSTRUMENTS_FILE = "instruments.csv"
_FIX_PRICE = "write a plain finite number (or leave the cell empty for a missing price)"
_FIX_UNREADABLE = ("re-export or re-download the complete file (a .csv.gz must be a whole gzip stream, a "
                   f".parquet a whole Parquet file); {REMOVAL_HINT}")


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


def _id_or_none(path: Path) -> str | None:
    try:
        return instrument_id_from_filename(path)
    except DataQualityError:
        return None  # a long file: its ids are inside


def _file_error(path: Path, problem: str, fix: str) -> DataInputError:
    return DataInputError(_id_or_none(path), None, "file", problem, fix, location=f"file {path}")


def read_table(path: Path) -> pd.DataFrame:
    """The file as a table of strings (CSV) or typed columns (Parquet); unreadable files raise
    ``DataInputError`` naming the file and the fix instead of a bare parser error."""
    try:
        if path.name.lower().endswith(".parquet"):
            table = pd.read_parquet(path)
        else:
            table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except pd.errors.EmptyDataError as exc:
        raise _file_error(path, "the file is empty (no header, no rows)", "write a header 'date,close' "
                          f"and the rows; {REMOVAL_HINT}") from exc
    except pd.errors.ParserError as exc:
        raise _file_error(path, f"a row does not fit the header: {str(exc).strip()}",
                          "give every row exactly the header's fields (quote values holding a comma)"
                          ) from exc
    except (ValueError, OSError, EOFError, zlib.error) as exc:  # truncated gzip/Parquet, bad encoding
        raise _file_error(path, f"cannot read the file, it is truncated or corrupt "
                          f"({type(exc).__name__}: {str(exc).strip()})", _FIX_UNREADABLE) from exc
    table.columns = [str(c).strip().lower() for c in table.columns]
    return table


def _row_label(path: Path, positions: np.ndarray) -> str:
    row = int(positions[0]) + (2 if not path.name.lower().endswith(".parquet") else 0)
    unit = "line" if not path.name.lower().endswith(".parquet") else "row"
    more = f" (and {len(positions) - 1} more row(s))" if len(positions) > 1 else ""
    return f"file {path}, {unit} {row}{more}"


def parse_prices(table: pd.DataFrame, path: Path, ids: pd.Series, dates: pd.Series) -> pd.DataFrame:
    out = pd.DataFrame(index=table.index)
    for field in [f for f in (*PRICE_FIELDS, *FLOAT_OPTIONAL) if f in table.columns]:
        raw = table[field]
        values = pd.to_numeric(raw, errors="coerce")
        infinite = np.isinf(values)
        bad = np.flatnonzero(((values.isna() & raw.notna()) | infinite).to_numpy())
        if len(bad):
            kind = "not a finite number" if infinite.iloc[bad[0]] else "not a number"
            raise DataQualityError(ids.iloc[bad[0]], dates.iloc[bad[0]], field,
                                   f"{kind}: {raw.iloc[bad[0]]!r}", _FIX_PRICE,
                                   location=_row_label(path, bad))
        out[field] = values.astype("float64")
    return out


def read_price_file(path: str | Path, date_formats: Mapping[str, str] | None = None,
                    date_format: str = "") -> pd.DataFrame:
    """Read one user file into long bars.

    ``date_formats`` maps instrument ids to a stated strftime format, ``date_format`` is the default
    for the others (``""``: ISO or unambiguous dates only, see ``file_dates``). Raises
    ``DataQualityError`` on garbage rows and ``DataInputError`` on an unreadable or row-less file.
    """
    path = Path(path)
    table = read_table(path)
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
    if len(table) == 0:
        raise _file_error(path, "the file has a header but no rows, so its instrument(s) would vanish "
                          "from the run", f"add the rows; {REMOVAL_HINT}")
    stated = ids.map(dict(date_formats or {})).astype(object)
    formats = stated.where(stated.notna(), date_format).astype(str)
    dates = parse_file_dates(table["date"], ids, formats, lambda rows: _row_label(path, rows))
    bars = parse_prices(table, path, ids, dates)
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

    def __init__(self, path: str | Path, date_format: str = "") -> None:
        self.path = Path(path)
        if not self.path.is_dir():
            raise FileNotFoundError(f"files source: {self.path} is not a directory; point 'path' at the "
                                    "folder holding your CSV/Parquet price files")
        self.date_format = str(date_format or "")
        self._bars: pd.DataFrame | None = None
        self._files_of: dict[str, list[str]] = {}

    def files(self) -> list[Path]:
        """The price files found in the directory (sorted)."""
        return sorted(p for p in self.path.iterdir() if p.is_file() and p.name.lower().endswith(_SUFFIXES)
                      and p.name.lower() != INSTRUMENTS_FILE)

    def instruments(self) -> pd.DataFrame:
        """The directory's ``instruments.csv`` if present, else the ``default_instruments()`` rows of the
        ids found (``KeyError`` naming ids that need an ``instruments.csv`` row).

        With an ``instruments.csv``, every instrument that has a price file needs a row in it: one
        without raises ``DataInputError`` naming the instrument, its file and the fix (it would
        otherwise vanish from the run)."""
        table_path = self.path / INSTRUMENTS_FILE
        ids = self.instrument_ids()
        if table_path.exists():
            table = instruments_from_csv(table_path)
            lacking = sorted(set(ids) - set(table.index))
            if lacking:
                files = ", ".join(self._files_of[lacking[0]])
                raise DataInputError(lacking[0], None, "instrument_id", f"price file(s) {files} but no "
                                     f"row in {table_path} ({len(lacking)} such instrument(s): {lacking})",
                                     f"add a row per instrument to {INSTRUMENTS_FILE} (columns: see "
                                     f"docs/data.md); {REMOVAL_HINT}", location=f"file {table_path}")
            return table
        table = default_instruments()
        unknown = sorted(set(ids) - set(table.index))
        if unknown:
            raise KeyError(f"files source: no instrument metadata for {unknown}; add {table_path} "
                           "(columns: see docs/data.md)")
        return table.loc[ids]

    def date_formats(self) -> dict[str, str]:
        """Stated date formats per instrument: the optional ``date_format`` column of ``instruments.csv``."""
        table_path = self.path / INSTRUMENTS_FILE
        if not table_path.exists():
            return {}
        table = read_table(table_path)  # unreadable -> DataInputError naming it
        if "date_format" not in table.columns or "instrument_id" not in table.columns:
            return {}
        stated = table[table["date_format"].fillna("").str.strip() != ""]
        return dict(zip(stated["instrument_id"].str.strip(), stated["date_format"].str.strip()))

    def bars(self) -> pd.DataFrame:
        """All bars of all files (long, standardized; cached)."""
        if self._bars is None:
            files = self.files()
            if not files:
                raise FileNotFoundError(f"files source: no *.csv, *.csv.gz or *.parquet files in {self.path}")
            formats = self.date_formats()
            parts = [read_price_file(p, formats, self.date_format) for p in files]
            for path, part in zip(files, parts):
                for iid in part["instrument_id"].unique():
                    self._files_of.setdefault(iid, []).append(path.name)
            self._bars = standardize_bars(pd.concat(parts, ignore_index=True))
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
