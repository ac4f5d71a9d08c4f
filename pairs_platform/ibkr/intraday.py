"""Intraday bars from IB's historical data, in the intraday-source format (:mod:`pairs_platform.data.sources.intraday`).

:meth:`pairs_platform.ibkr.IBSource.fetch_intraday` calls :func:`fetch_intraday`, which for each
instrument:

- asks for the sessions of its exchange calendar (:data:`~pairs_platform.data.sessions.SESSION_EXCHANGE`:
  equities XNYS, futures CMES, crypto 24/7) in chunks: one request covers at most
  :func:`sessions_per_request` sessions, ending at the last one's close (``endDateTime`` in UTC),
  over ``'<n> S'`` (up to a day) or ``'<n> D'``; every request goes through the source's pacing
  limiter and its delayed-data fallback (:meth:`~pairs_platform.ibkr.IBSource.history`);
- regular trading hours by asset class (:data:`USE_RTH`): equities RTH only (the XNYS session),
  futures the whole Globex session, crypto around the clock;
- contracts from :func:`pairs_platform.ibkr.contracts.contract_spec`: ``STK/SMART``, ``CRYPTO/PAXOS``,
  and for futures the dated contract the roll rule holds on each session (``includeExpired`` so past
  sessions of expired contracts load; a roll starts a new request);
- converts IB's bar *start* times (``formatDate=2``: epoch seconds, UTC) to bar *end* times: IB's bars
  are aligned to the clock in the exchange's timezone (an hourly equity bar starts 09:30, 10:00, ...;
  the first covers 09:30-10:00), so a bar ends at its start floored to the bar size, plus the bar size;
- labels sessions with :func:`~pairs_platform.data.sources.intraday.with_sessions` (a bar outside every
  session raises), checks the spacing (:func:`~pairs_platform.data.sources.intraday.check_bar_spacing`)
  and raises :class:`~pairs_platform.data.errors.DataInputError` naming the instrument and the
  session(s) IB returned no bars for.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Iterator, NamedTuple

import pandas as pd

from pairs_platform.data.errors import DataInputError
from pairs_platform.data.instruments import asset_class_of
from pairs_platform.data.sessions import bar_timedelta, exchange_calendar, session_schedule
from pairs_platform.data.sources.base import check_requested, date_bounds
from pairs_platform.data.sources.intraday import (
    INTRADAY_COLUMNS, check_bar_spacing, session_exchange, standardize_intraday, with_sessions,
)
from pairs_platform.ibkr.client import import_ib_library
from pairs_platform.ibkr.contracts import contract_spec
from pairs_platform.ibkr.history import WHAT_TO_SHOW, HistoryRequest, ib_end

if TYPE_CHECKING:
    from pairs_platform.ibkr.source import IBSource

USE_RTH = {"equity": True, "future": False, "crypto": False}
"""Regular trading hours only? Equities trade the XNYS session; futures and crypto their whole day."""

IB_BAR_SIZES: dict[str, str] = {
    "1s": "1 secs", "5s": "5 secs", "10s": "10 secs", "15s": "15 secs", "30s": "30 secs", "1min": "1 min",
    "2min": "2 mins", "3min": "3 mins", "5min": "5 mins", "10min": "10 mins", "15min": "15 mins",
    "20min": "20 mins", "30min": "30 mins", "1h": "1 hour", "2h": "2 hours", "3h": "3 hours", "4h": "4 hours",
    "8h": "8 hours"}
"""Our bar sizes -> IB's ``barSizeSetting`` (the intraday sizes IB serves; '60min' is '1h' too)."""
_BY_STEP = {pd.Timedelta(k): v for k, v in IB_BAR_SIZES.items()}


class Chunk(NamedTuple):
    """One request of an instrument: its contract, the sessions it covers and the request."""

    contract: Any
    sessions: pd.DatetimeIndex
    request: HistoryRequest


def ib_bar_size(step: pd.Timedelta) -> str:
    """IB's spelling of an intraday bar size; raises naming the sizes IB serves."""
    if step not in _BY_STEP:
        raise ValueError(f"IB serves no {step} bars; pass bar_size as one of its intraday sizes "
                         f"{list(IB_BAR_SIZES)}")
    return _BY_STEP[step]


def sessions_per_request(step: pd.Timedelta) -> int:
    """Sessions one request may cover (IB's duration-per-bar-size guidance: 1 day under 3 minutes,
    a week under 30 minutes, a month above)."""
    if step < pd.Timedelta("3min"):
        return 1
    return 5 if step < pd.Timedelta("30min") else 20


def ib_duration(span: pd.Timedelta) -> str:
    """``durationStr`` covering ``span``: seconds up to one day (IB's limit for 'S'), else days."""
    seconds = math.ceil(span.total_seconds())
    return f"{seconds} S" if seconds <= 86_400 else f"{math.ceil(seconds / 86_400)} D"


def intraday_contract(source: "IBSource", instrument_id: str, session: pd.Timestamp) -> Any:
    """The contract whose bars stand for ``instrument_id`` on ``session`` (futures: the dated contract held)."""
    lib = import_ib_library()
    if asset_class_of(instrument_id) == "future":
        spec = contract_spec(instrument_id, source.instruments, as_of=session)
        return lib.Contract(**spec.kwargs(), includeExpired=True)
    return lib.Contract(**contract_spec(instrument_id, source.instruments).kwargs())


def request_plan(source: "IBSource", instrument_id: str, schedule: pd.DataFrame,
                 step: pd.Timedelta) -> Iterator[Chunk]:
    """The requests covering ``schedule``'s sessions: consecutive sessions on one contract, chunked."""
    asset_class, limit = asset_class_of(instrument_id), sessions_per_request(step)
    contracts = [intraday_contract(source, instrument_id, s) for s in schedule.index]
    start = 0
    for i in range(1, len(contracts) + 1):
        if i < len(contracts) and contracts[i] == contracts[start] and i - start < limit:
            continue
        rows = schedule.iloc[start:i]
        first_open, last_close = rows["open"].iloc[0], rows["close"].iloc[-1]
        request = HistoryRequest(ib_end(last_close), ib_duration(last_close - first_open), ib_bar_size(step),
                                 WHAT_TO_SHOW[asset_class], USE_RTH[asset_class], 2)
        yield Chunk(contracts[start], pd.DatetimeIndex(rows.index), request)
        start = i


def bar_ends(starts: pd.Series, timezone: str, step: pd.Timedelta) -> pd.DatetimeIndex:
    """Bar end times (UTC) of IB bars starting at ``starts``, aligned to the clock in ``timezone``."""
    utc = pd.DatetimeIndex(pd.to_datetime(starts, utc=True))
    local = utc.tz_convert(timezone).tz_localize(None)
    return utc - (local - local.floor(step)) + step


def to_frame(bars: list, instrument_id: str, timezone: str, step: pd.Timedelta) -> pd.DataFrame:
    """IB ``BarData`` as long intraday bars without ``session`` (timestamp = bar end, UTC)."""
    frame = import_ib_library().util.df(bars)[["date", "open", "high", "low", "close", "volume"]]
    frame.insert(0, "timestamp", bar_ends(frame.pop("date"), timezone, step))
    return frame.assign(instrument_id=instrument_id)


def _label(frame: pd.DataFrame, instrument_id: str, exchange: str) -> pd.DataFrame:
    try:
        return with_sessions(frame)
    except ValueError as exc:
        raise DataInputError(instrument_id, None, "timestamp", f"IB served a bar outside the sessions: {exc}",
                             f"check the contract's trading hours against the {exchange} calendar (useRTH="
                             f"{int(USE_RTH[asset_class_of(instrument_id)])})", location="ib source") from exc


def _missing_sessions(instrument_id: str, missing: pd.DatetimeIndex, causes: set[str],
                      bar_size: str) -> DataInputError:
    shown = ", ".join(str(s.date()) for s in missing[:5])
    shown += f" and {len(missing) - 5} more" if len(missing) > 5 else ""
    answer = "'HMDS query returned no data'" if "no_data" in causes else "an empty answer"
    return DataInputError(
        instrument_id, missing[0], "bars",
        f"IB returned no {bar_size} bars for session(s) {shown} ({answer})",
        "check the contract (symbol, exchange, contract month) and that IB has history that far back, or "
        "pick another intraday source (run config source: 'synthetic' or 'files')", location="ib source")


def instrument_bars(source: "IBSource", instrument_id: str, window: tuple[pd.Timestamp, pd.Timestamp],
                    step: pd.Timedelta) -> pd.DataFrame:
    """One instrument's intraday bars of the sessions in ``window``, labelled with their sessions."""
    exchange = session_exchange(instrument_id)
    schedule = session_schedule(exchange, *window)
    timezone = str(exchange_calendar(exchange).tz)
    frames, causes = [], set()
    for chunk in request_plan(source, instrument_id, schedule, step):
        bars, cause = source.history(instrument_id, chunk.contract, chunk.request)
        causes.add(cause)
        if bars:  # a request's duration may reach into earlier sessions: keep the chunk's own
            labelled = _label(to_frame(bars, instrument_id, timezone, step), instrument_id, exchange)
            frames.append(labelled[labelled["session"].isin(chunk.sessions)])
    labelled = pd.concat(frames, ignore_index=True) if frames else with_sessions(_empty())
    missing = schedule.index.difference(pd.DatetimeIndex(labelled["session"].unique()))
    if len(missing):
        raise _missing_sessions(instrument_id, missing, causes, ib_bar_size(step))
    return labelled


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in INTRADAY_COLUMNS if c != "session"})
    frame["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
    return frame.assign(instrument_id=pd.Series(dtype=str))


def fetch_intraday(source: "IBSource", instrument_ids: list[str], sessions: tuple[Any, Any],
                   bar_size: str) -> pd.DataFrame:
    """Long intraday bars of ``instrument_ids`` for the sessions ``sessions[0]..sessions[1]`` inclusive.

    Parameters
    ----------
    source : IBSource
        The connected (lazily) source: its instrument table, pacing limiter and request method.
    instrument_ids : list of str
        Instruments of the source's table (equities, futures with a roll rule, crypto).
    sessions : (start, end)
        First and last session date.
    bar_size : str
        '5min', '1h', ... (one of :data:`IB_BAR_SIZES`).

    Returns
    -------
    pd.DataFrame
        :data:`~pairs_platform.data.sources.intraday.INTRADAY_COLUMNS`, timestamps the bar ends in UTC.

    Raises
    ------
    DataInputError
        An instrument without bars for a session of the range, or with a bar outside every session.
    ValueError
        A bar size IB does not serve, or bars spaced differently from ``bar_size``.
    """
    ids = check_requested(source.name, instrument_ids, source.instrument_ids())
    step = bar_timedelta(bar_size)
    ib_bar_size(step)
    window = date_bounds(*sessions)
    frames = [instrument_bars(source, i, window, step) for i in ids]
    bars = pd.concat(frames, ignore_index=True) if frames else with_sessions(_empty())
    check_bar_spacing(bars, bar_size, "IB historical bars",
                      "IB answered another bar size: check the request in the TWS log")
    return standardize_intraday(bars)
