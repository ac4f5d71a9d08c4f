"""Data errors: bad input that cannot be repaired stops with a message that says what and how to fix it."""
from __future__ import annotations

from typing import Any

import pandas as pd


def _fmt_date(date: Any) -> str:
    if date is None:
        return "<no date>"
    try:
        ts = pd.Timestamp(date)
    except (ValueError, TypeError):
        return repr(date)
    if ts is pd.NaT:
        return "<missing date>"
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()


class DataQualityError(ValueError):
    """A price or instrument record that cannot be used or repaired.

    Attributes name the instrument, the date (or ``None`` when the problem is not a single date),
    the field, what is wrong, how to fix it and, optionally, where the record came from
    (e.g. ``"file prices/EQ_KO.csv, row 17"``).
    """

    def __init__(self, instrument_id: str | None, date: Any, field: str, problem: str, fix: str,
                 location: str = "") -> None:
        self.instrument_id = instrument_id
        self.date = date
        self.field = field
        self.problem = problem
        self.fix = fix
        self.location = location
        where = f" [{location}]" if location else ""
        message = (f"instrument {instrument_id or '<unknown>'}, date {_fmt_date(date)}, field '{field}': "
                   f"{problem}{where}. Fix: {fix}")
        super().__init__(message)

    def __reduce__(self):  # keep pickling (multiprocess executors) working with the custom signature
        return (type(self), (self.instrument_id, self.date, self.field, self.problem, self.fix,
                             self.location))


class DataInputError(DataQualityError):
    """A whole input that cannot be used: an unreadable or empty file, a price file without
    instrument metadata, dates whose format must be stated, or an instrument that would vanish.

    Same attributes and message shape as ``DataQualityError`` (a subclass, so every handler of bad
    data catches it); ``field`` names what is wrong (``'file'``, ``'date'``, ``'instrument_id'``).
    """
