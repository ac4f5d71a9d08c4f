"""Dates of user files: a stated format, ISO ``YYYY-MM-DD``, or a date no reading can get wrong.

A date column is read, row by row (vectorized), by the first rule that applies:

1. the row's instrument has a stated format (``date_format`` column of ``instruments.csv``, or the
   folder-wide ``FileSource(path, date_format=...)``): the date must match it exactly;
2. ISO 8601 (``2024-03-28``, ``2024-03-28T16:00:00-04:00``, ``20240328``) is always accepted;
3. anything else is read twice, day-first and month-first; it is accepted only where both readings
   agree (``31/01/2022``, ``Jan 31, 2022``, ``2022/01/31``). A date that reads differently
   (``01/02/2022``: 2 January or 1 February?) stops with ``DataInputError`` saying how to state
   the format. Nothing is guessed.
"""
from __future__ import annotations

import re
import warnings
from typing import Callable

import numpy as np
import pandas as pd

from pairs_platform.data.errors import DataInputError, DataQualityError

FIX_DATE = "write dates as YYYY-MM-DD in the 'date' column (or delete the row)"
_NUMERIC_DMY = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})\s*$")

RowLabel = Callable[[np.ndarray], str]


def _fix_state_format(iid: str, example: str) -> str:
    return (f"state the format: add a 'date_format' column to instruments.csv with {example!r} on the "
            f"row of {iid} (or pass make_source('files', path=..., date_format={example!r}) for the "
            f"whole folder), or write the dates as YYYY-MM-DD")


def _guess_example(text: pd.Series) -> str:
    """A format to suggest in the message: day-first if some row can only be day-first, etc."""
    parts = text.str.extract(_NUMERIC_DMY).dropna().astype(int)
    if len(parts) and (parts[1] > 12).any():
        return "%m/%d/%Y"
    return "%d/%m/%Y"


def _to_datetime(text: pd.Series, **kwargs) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = pd.to_datetime(text, errors="coerce", **kwargs)
        except (ValueError, TypeError):  # e.g. mixed time zones in one column: row by row
            out = pd.Series([pd.to_datetime(v, errors="coerce", **kwargs) for v in text], index=text.index)
    if getattr(out.dt, "tz", None) is not None:
        out = out.dt.tz_localize(None)
    return pd.to_datetime(out, errors="coerce").astype("datetime64[ns]")


def _stated(text: pd.Series, fmts: pd.Series, ids: pd.Series, label: RowLabel) -> pd.Series:
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")
    for fmt in fmts[fmts != ""].unique():
        rows = fmts.index[fmts == fmt]
        out.loc[rows] = _to_datetime(text.loc[rows], format=fmt)
        bad = np.flatnonzero(out.loc[rows].isna().to_numpy())
        if len(bad):
            pos = text.index.get_indexer(rows[bad])
            raise DataInputError(ids.iloc[pos[0]], None, "date", f"date {text.iloc[pos[0]]!r} does not "
                                 f"match the stated date_format {fmt!r}", "fix the date, or the date_format "
                                 "(strftime codes, e.g. '%d/%m/%Y' for 31/01/2022)", location=label(pos))
    return out


def parse_file_dates(raw: pd.Series, ids: pd.Series, formats: pd.Series, label: RowLabel) -> pd.Series:
    """Parse a file's date column (rules in the module docstring) into midnight ``datetime64[ns]``.

    Parameters
    ----------
    raw : pd.Series
        The ``date`` column as read (strings for CSV; any dtype for Parquet).
    ids : pd.Series
        The instrument id of each row.
    formats : pd.Series
        The stated strftime format of each row, ``""`` where none is stated.
    label : callable
        Row positions -> ``"file ..., line N"`` text.

    Raises
    ------
    DataQualityError
        A missing or unparseable date.
    DataInputError
        A date that does not match its stated format, or that reads differently day-first and
        month-first.
    """
    if pd.api.types.is_datetime64_any_dtype(raw):
        dates = _to_datetime(raw)
        text = raw.astype(str)
    else:
        text = raw.astype("string").str.strip()
        missing = np.flatnonzero((text.isna() | (text == "")).to_numpy())
        if len(missing):
            raise DataQualityError(ids.iloc[missing[0]], None, "date", "missing date", FIX_DATE,
                                   location=label(missing))
        text = text.astype(str)
        dates = _stated(text, formats, ids, label)
        free = (formats == "").to_numpy()
        dates[free] = _to_datetime(text[free], format="ISO8601")
        other = free & dates.isna().to_numpy()
        if other.any():
            dates[other] = _agreed_reading(text, other, ids, label)
    bad = np.flatnonzero(dates.isna().to_numpy())
    if len(bad):
        raise DataQualityError(ids.iloc[bad[0]], None, "date", f"unparseable date {text.iloc[bad[0]]!r}",
                               FIX_DATE, location=label(bad))
    return dates.dt.normalize()


def _agreed_reading(text: pd.Series, rows: np.ndarray, ids: pd.Series, label: RowLabel) -> pd.Series:
    """Non-ISO dates: the reading both day-first and month-first parsing agree on, else refuse."""
    month_first = _to_datetime(text[rows], format="mixed", dayfirst=False)
    day_first = _to_datetime(text[rows], format="mixed", dayfirst=True)
    differ = (month_first != day_first) & (month_first.notna() | day_first.notna())
    if differ.any():
        hits = np.flatnonzero(differ.to_numpy())
        where = np.flatnonzero(rows)[hits]
        value, iid = text.iloc[where[0]], ids.iloc[where[0]]
        readings = [d.strftime("%Y-%m-%d") if pd.notna(d) else "unparseable"
                    for d in (month_first.iloc[hits[0]], day_first.iloc[hits[0]])]
        raise DataInputError(iid, None, "date", f"ambiguous date {value!r}: month-first it is {readings[0]}, "
                             f"day-first {readings[1]} ({len(where)} such row(s)); dates are never guessed",
                             _fix_state_format(iid, _guess_example(text[rows])), location=label(where))
    return month_first
