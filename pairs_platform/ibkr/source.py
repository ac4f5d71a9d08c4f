"""The ``ib`` price source: historical bars from a running TWS / IB Gateway (read-only).

- Daily bars (:meth:`IBSource.fetch`, ``bar_size="1 day"``): equities ``STK/SMART`` with ``TRADES``,
  futures as IB's continuous series ``CONTFUT`` on the instrument table's exchange, crypto
  ``CRYPTO/PAXOS`` with ``AGGTRADES``.
- Intraday bars (:meth:`IBSource.fetch_intraday`, the
  :class:`~pairs_platform.data.sources.intraday.IntradaySource` protocol): see
  :mod:`pairs_platform.ibkr.intraday`.
- Pacing (IB's historical-data rules): no identical request within 15 s, at most 60 requests in
  any 10 minutes; :class:`PacingLimiter` waits instead of letting IB refuse (tested with a fake
  clock). Should IB still answer "pacing violation", the limiter backs off ``PACING_BACKOFF``
  seconds and the request is retried (at most ``PACING_RETRIES`` times), then it fails naming it.
- No market-data permission (IB 162 "no market data permissions", 354, 10089, 10167): the source
  switches to delayed data (``reqMarketDataType(3)``) and asks once more, logging it; the bars are
  then delayed. The causes are told apart by :func:`pairs_platform.ibkr.history.classify`.
- Connection settings from the environment (``IB_HOST``, ``IB_PORT``; client id ``IB_CLIENT_ID + 1``
  so it never collides with the order connection). Reading prices needs no live-trading flag.

Registered as the ``ib`` kind of the daily and the intraday source registries by
``import pairs_platform.ibkr``.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import Any, Callable, Hashable

import pandas as pd

from pairs_platform.data.instruments import asset_class_of, default_instruments
from pairs_platform.data.sources.base import (
    check_requested, date_bounds, empty_bars, filter_by_class, standardize_bars,
)
from pairs_platform.ibkr.client import ib_settings_from_env, import_ib_library
from pairs_platform.ibkr.contracts import contract_spec, instrument_row
from pairs_platform.ibkr.history import (
    DELAYED, WHAT_TO_SHOW, HistoryRequest, IBHistoryError, classify, describe, ib_end, is_informational,
)
from pairs_platform.ibkr.intraday import fetch_intraday

log = logging.getLogger(__name__)

PACING_BACKOFF = 60.0
"""Seconds without requests after IB answered "pacing violation" (the limiter should prevent it)."""
PACING_RETRIES = 2


class PacingLimiter:
    """IB historical-data pacing: ``identical_gap`` seconds between identical requests and at most
    ``max_requests`` per ``window`` seconds. ``clock``/``sleep`` are injectable (tests)."""

    def __init__(self, identical_gap: float = 15.0, max_requests: int = 60, window: float = 600.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], object] = time.sleep) -> None:
        self.identical_gap, self.max_requests, self.window = identical_gap, max_requests, window
        self.clock, self.sleep = clock, sleep
        self._times: deque[float] = deque()
        self._last: dict[Hashable, float] = {}
        self._blocked_until = float("-inf")

    def wait_time(self, key: Hashable) -> float:
        """Seconds to wait before a request ``key`` may go out now."""
        now = self.clock()
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        waits = [0.0, self._blocked_until - now]
        if key in self._last:
            waits.append(self._last[key] + self.identical_gap - now)
        if len(self._times) >= self.max_requests:
            waits.append(self._times[0] + self.window - now)
        return max(waits)

    def acquire(self, key: Hashable) -> float:
        """Wait as long as pacing requires, then count the request; returns the seconds waited."""
        waited = 0.0
        while (delay := self.wait_time(key)) > 0:
            self.sleep(delay)
            waited += delay
        now = self.clock()
        self._times.append(now)
        self._last[key] = now
        return waited

    def back_off(self, seconds: float) -> None:
        """IB answered "pacing violation": let no request out for ``seconds`` from now."""
        self._blocked_until = max(self._blocked_until, self.clock() + seconds)


class IBSource:
    """Historical bars from IB for the instruments of ``instruments`` (equity, future, crypto)."""

    name = "ib"
    asset_classes = ("equity", "future", "crypto")

    def __init__(self, instruments: pd.DataFrame | None = None, *, bar_size: str = "1 day",
                 pacing: PacingLimiter | None = None, timeout: float = 30.0, ib: Any = None) -> None:
        self.instruments = default_instruments() if instruments is None else instruments
        self.bar_size, self.timeout = bar_size, timeout
        self.pacing = pacing or PacingLimiter()
        self.market_data_type = 1
        self._ib = ib

    @property
    def ib(self) -> Any:
        """A connected client (settings from the environment; client id + 1)."""
        if self._ib is None:
            self._ib = import_ib_library().IB()
        if not self._ib.isConnected():
            settings = ib_settings_from_env()
            self._ib.connect(settings.host, settings.port, clientId=settings.client_id + 1,
                             timeout=self.timeout, readonly=True)
            if self.market_data_type != 1:
                self._ib.reqMarketDataType(self.market_data_type)
        return self._ib

    def instrument_ids(self, asset_class: str | None = None) -> list[str]:
        """Instruments of the table in the classes IB serves here."""
        ids = [i for i in self.instruments.index if asset_class_of(i) in self.asset_classes]
        return filter_by_class(ids, asset_class)

    def contract(self, instrument_id: str) -> Any:
        """The IB contract whose history stands for ``instrument_id``."""
        lib = import_ib_library()
        if asset_class_of(instrument_id) == "future":
            row = instrument_row(instrument_id, self.instruments)
            return lib.Contract(secType="CONTFUT", symbol=str(row.get("symbol")),
                                exchange=str(row.get("exchange")), currency=str(row.get("currency") or "USD"))
        return lib.Contract(**contract_spec(instrument_id, self.instruments).kwargs())

    def fetch(self, instrument_ids: list[str], start: Any, end: Any) -> pd.DataFrame:
        """Long bars from ``start`` to ``end`` inclusive (one paced request per instrument)."""
        ids = check_requested(self.name, instrument_ids, self.instrument_ids())
        lo, hi = date_bounds(start, end)
        frames = [self._bars(i, lo, hi) for i in ids]
        frames = [f for f in frames if not f.empty]
        if not frames:
            return empty_bars()
        bars = pd.concat(frames, ignore_index=True)
        return standardize_bars(bars[(bars["date"] >= lo) & (bars["date"] <= hi + pd.Timedelta(days=1))])

    def fetch_intraday(self, instrument_ids: list[str], start: Any, end: Any, bar_size: str) -> pd.DataFrame:
        """Long intraday bars of the sessions ``start..end`` inclusive (see :mod:`pairs_platform.ibkr.intraday`).

        A connection this call opens is closed when it returns (an asset run fetches once); one that
        was open before stays open.
        """
        opened = self._ib is None or not self._ib.isConnected()
        try:
            return fetch_intraday(self, instrument_ids, (start, end), bar_size)
        finally:
            if opened and self._ib is not None and self._ib.isConnected():
                self._ib.disconnect()

    def history(self, instrument_id: str, contract: Any, request: HistoryRequest) -> tuple[list, str]:
        """IB's bars for one paced request, falling back to delayed data and retrying after pacing refusals.

        Returns
        -------
        (bars, cause)
            The bars (ib_async ``BarData``) and, when there are none, the cause IB gave
            (``'no_data'``) or ``''`` (an empty answer).

        Raises
        ------
        IBHistoryError
            For a refusal that remains after the fallback and the retries (no permission even for
            delayed data, repeated pacing violations, any other error), naming the request.
        """
        for attempt in range(PACING_RETRIES + 2):  # + 1 for the switch to delayed data
            bars, errors = self._send(instrument_id, contract, request)
            cause = "" if bars else classify(errors)
            if cause == "permission" and self.market_data_type != DELAYED:
                log.warning("IB source: no market-data permission (%s); switching to delayed data "
                            "(reqMarketDataType(3)) and asking again", describe(instrument_id, request, errors))
                self.market_data_type = DELAYED
                self.ib.reqMarketDataType(DELAYED)
            elif cause == "pacing" and attempt < PACING_RETRIES:
                log.warning("IB source: pacing violation (%s); no request for %.0f s, then again",
                            describe(instrument_id, request, errors), PACING_BACKOFF)
                self.pacing.back_off(PACING_BACKOFF)
            elif cause in ("", "no_data"):
                return list(bars), cause
            else:
                raise IBHistoryError(f"IB source: {describe(instrument_id, request, errors)}; "
                                     + _FIXES.get(cause, "see the TWS log"))
        raise AssertionError("unreachable: every attempt returns, retries or raises")

    def _send(self, instrument_id: str, contract: Any, request: HistoryRequest) -> tuple[list, list[tuple[int, str]]]:
        self.pacing.acquire(request.pacing_key(instrument_id))
        errors: list[tuple[int, str]] = []

        def on_error(req_id, code, text, *_args) -> None:
            if not is_informational(int(req_id), int(code)):
                errors.append((int(code), str(text)))

        ib = self.ib
        ib.errorEvent += on_error
        try:
            bars = ib.reqHistoricalData(contract, request.end, request.duration, request.bar_size,
                                        request.what_to_show, useRTH=request.use_rth,
                                        formatDate=request.format_date, timeout=self.timeout)
        finally:
            ib.errorEvent -= on_error
        return list(bars or []), errors

    def _bars(self, instrument_id: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        days = max(int((hi - lo).days) + 1, 1)
        request = HistoryRequest(ib_end(hi.tz_localize("UTC") + pd.Timedelta(days=1)),
                                 f"{days} D" if days <= 365 else f"{-(-days // 365)} Y", self.bar_size,
                                 WHAT_TO_SHOW[asset_class_of(instrument_id)], True,
                                 2 if self.bar_size != "1 day" else 1)
        bars, cause = self.history(instrument_id, self.contract(instrument_id), request)
        if not bars:
            if cause:
                raise RuntimeError(f"IB source: no bars for {instrument_id} {lo.date()}..{hi.date()}; "
                                   f"IB answered {cause} (see the log)")
            return empty_bars()
        frame = import_ib_library().util.df(bars)[["date", "open", "high", "low", "close", "volume"]]
        frame["date"] = pd.to_datetime(frame["date"], utc=True).dt.tz_localize(None)  # intraday: UTC
        frame["instrument_id"] = instrument_id
        return frame


_FIXES = {
    "permission": "subscribe to the market data (or check the account's permissions) in IB Client Portal",
    "pacing": "too many historical requests: wait ten minutes, then request fewer instruments or sessions at once",
    "error": "check the contract (symbol, exchange, contract month) and the request in the TWS log",
}
