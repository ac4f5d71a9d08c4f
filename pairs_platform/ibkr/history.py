"""IB historical-data requests: what one request asks for, and what IB's error answers mean.

IB answers a refused historical request with an error instead of bars; code 162 ("Historical Market
Data Service error message") covers several causes, told apart by its text:

- **no permission** (162 "... No market data permissions ...", 354, 10089, 10167): the source
  switches to delayed data and asks again;
- **pacing violation** (162 "... pacing violation"): the limiter backs off and the request is retried;
- **no data** (162 "HMDS query returned no data ..."): the caller decides (the intraday source names
  the instrument and session);
- anything else is an error.

Informational codes (2100-2199, e.g. 2104 "market data farm connection is OK") and messages not
tied to a request (request id -1) are ignored.
"""
from __future__ import annotations

from typing import Hashable, NamedTuple

import pandas as pd

PERMISSION_CODES = frozenset({354, 10089, 10167})
HMDS_ERROR = 162
DELAYED = 3
"""``reqMarketDataType`` value of delayed data."""
WHAT_TO_SHOW = {"equity": "TRADES", "future": "TRADES", "crypto": "AGGTRADES"}
"""IB's ``whatToShow`` per asset class (crypto has no TRADES history on PAXOS)."""


class HistoryRequest(NamedTuple):
    """One ``reqHistoricalData`` call (IB's spellings: ``'5 mins'``, ``'3600 S'``, ``'TRADES'``)."""

    end: str
    duration: str
    bar_size: str
    what_to_show: str
    use_rth: bool
    format_date: int

    def pacing_key(self, instrument_id: str) -> Hashable:
        """What makes two requests *identical* for IB's 15-second rule."""
        return (instrument_id, *self)


class IBHistoryError(RuntimeError):
    """IB refused a historical-data request; the message names the instrument, the request and IB's answer."""


def ib_end(timestamp: pd.Timestamp) -> str:
    """``endDateTime`` as IB reads it: ``'YYYYMMDD HH:MM:SS UTC'``."""
    return pd.Timestamp(timestamp).tz_convert("UTC").strftime("%Y%m%d %H:%M:%S") + " UTC"


def classify(errors: list[tuple[int, str]]) -> str:
    """The cause of a refused request: ``'permission'``, ``'pacing'``, ``'no_data'``, ``'error'`` or ``''``.

    Parameters
    ----------
    errors : list of (code, text)
        The errors IB sent while the request was open (informational codes already dropped).

    Returns
    -------
    str
        The first matching cause in the order permission, pacing, no data, other; ``''`` without errors.
    """
    kinds = [_kind(code, text) for code, text in errors]
    for kind in ("permission", "pacing", "no_data", "error"):
        if kind in kinds:
            return kind
    return ""


def _kind(code: int, text: str) -> str:
    text = text.lower()
    if code in PERMISSION_CODES or (code == HMDS_ERROR and "permission" in text):
        return "permission"
    if code == HMDS_ERROR and "pacing" in text:
        return "pacing"
    if code == HMDS_ERROR and "no data" in text:
        return "no_data"
    return "error"


def is_informational(req_id: int, code: int) -> bool:
    """True for messages that never refuse a request (request id -1, codes 2100-2199)."""
    return req_id == -1 or 2100 <= code < 2200


def describe(instrument_id: str, request: HistoryRequest, errors: list[tuple[int, str]]) -> str:
    """One line naming the instrument, the request and IB's answers (for errors and logs)."""
    answers = "; ".join(f"{code} {text}" for code, text in errors) or "no bars and no error"
    return (f"{instrument_id} {request.bar_size} bars ending {request.end or 'now'} over {request.duration} "
            f"({request.what_to_show}, useRTH={int(request.use_rth)}): IB answered {answers}")
