"""The ``ib`` price source: historical bars from a running TWS / IB Gateway (read-only).

- Daily bars by default (``bar_size="1 day"``; intraday sizes such as ``"5 mins"`` work too and
  give timestamps in ``date``). Equities ``STK/SMART`` with ``TRADES``, futures as IB's continuous
  series ``CONTFUT`` on the instrument table's exchange, crypto ``CRYPTO/PAXOS`` with ``AGGTRADES``.
- Pacing (IB's historical-data rules): no identical request within 15 s, at most 60 requests in
  any 10 minutes; :class:`PacingLimiter` waits instead of letting IB refuse (tested with a fake
  clock).
- No market-data permission (IB 162/354/10089/10167 on a request): the source switches to delayed
  data (``reqMarketDataType(3)``) and asks once more, logging it; the bars are then delayed.
- Connection settings from the environment (``IB_HOST``, ``IB_PORT``; client id ``IB_CLIENT_ID + 1``
  so it never collides with the order connection). Reading prices needs no live-trading flag.

Registered as the ``ib`` kind of the data source registry by ``import pairs_platform.ibkr``.
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

log = logging.getLogger(__name__)

NO_PERMISSION_CODES = frozenset({162, 354, 10089, 10167})
DELAYED = 3
_WHAT_TO_SHOW = {"equity": "TRADES", "future": "TRADES", "crypto": "AGGTRADES"}


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

    def wait_time(self, key: Hashable) -> float:
        """Seconds to wait before a request ``key`` may go out now."""
        now = self.clock()
        while self._times and now - self._times[0] >= self.window:
            self._times.popleft()
        waits = [0.0]
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

    def _request(self, instrument_id: str, lo: pd.Timestamp, hi: pd.Timestamp) -> tuple[list, set[int]]:
        days = max(int((hi - lo).days) + 1, 1)
        duration = f"{days} D" if days <= 365 else f"{-(-days // 365)} Y"
        end = (hi + pd.Timedelta(days=1)).strftime("%Y%m%d %H:%M:%S") + " UTC"
        what = _WHAT_TO_SHOW[asset_class_of(instrument_id)]
        self.pacing.acquire((instrument_id, end, duration, self.bar_size, what))
        codes: set[int] = set()

        def on_error(_req_id, code, _text, *_args) -> None:
            codes.add(int(code))

        ib = self.ib
        ib.errorEvent += on_error
        try:
            bars = ib.reqHistoricalData(self.contract(instrument_id), end, duration, self.bar_size,
                                        what, useRTH=True, formatDate=2 if self.bar_size != "1 day" else 1,
                                        timeout=self.timeout)
        finally:
            ib.errorEvent -= on_error
        return list(bars or []), codes

    def _bars(self, instrument_id: str, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
        bars, codes = self._request(instrument_id, lo, hi)
        if not bars and codes & NO_PERMISSION_CODES and self.market_data_type != DELAYED:
            log.warning("IB source: no market-data permission for %s (codes %s); switching to "
                        "delayed data (reqMarketDataType(3)) and asking again", instrument_id, sorted(codes))
            self.market_data_type = DELAYED
            self.ib.reqMarketDataType(DELAYED)
            bars, codes = self._request(instrument_id, lo, hi)
        if not bars:
            if codes:
                raise RuntimeError(f"IB source: no bars for {instrument_id} {lo.date()}..{hi.date()}; "
                                   f"IB answered codes {sorted(codes)} (see the log)")
            return empty_bars()
        frame = import_ib_library().util.df(bars)[["date", "open", "high", "low", "close", "volume"]]
        frame["date"] = pd.to_datetime(frame["date"], utc=True).dt.tz_localize(None)  # intraday: UTC
        frame["instrument_id"] = instrument_id
        return frame
