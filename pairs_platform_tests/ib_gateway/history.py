"""The fake gateway's historical-data desk: daily and intraday bars, IB's pacing rules, permissions.

``FakeGateway.history`` answers every ``reqHistoricalData`` (message 20):

- ``1 day`` bars from ``gateway.bars[symbol]`` (``(YYYYMMDD, o, h, l, c, v)`` tuples) as before;
- intraday bar sizes from :attr:`HistoryDesk.intraday` ``[(symbol, bar size)]``: bars as
  ``(start UTC Timestamp, o, h, l, c, v)``; a request gets the bars starting in
  ``[endDateTime - duration, endDateTime)`` (``'N S'`` seconds, ``'N D'`` days of 24 h, ``'N W'``),
  dated as epoch seconds for ``formatDate=2`` (as IB does); none -> error 162 "HMDS query returned
  no data" (as IB does);
- symbols in ``gateway.needs_permission`` get 162 "No market data permissions" unless the client
  asked for delayed data (``reqMarketDataType(3)``);
- pacing: with :attr:`HistoryDesk.rules` set, a request identical to one within ``identical_gap``
  seconds, or beyond ``max_requests`` in ``window`` seconds (wall clock), gets 162 "Historical data
  request pacing violation" and is recorded in :attr:`HistoryDesk.violations`;
  :attr:`HistoryDesk.force_violations` answers the next n requests so regardless.

:func:`session_bars` makes deterministic bars of one session the way IB aligns them (the first bar
starts at the open, the next ones on the clock in the exchange's timezone).
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from pairs_platform_tests.ib_gateway import protocol as p

if TYPE_CHECKING:
    from pairs_platform_tests.ib_gateway.server import FakeGateway, _Client

PACING_TEXT = "Historical Market Data Service error message:Historical data request pacing violation"
NO_DATA_TEXT = "Historical Market Data Service error message:HMDS query returned no data: {symbol}@{exchange} Trades"
PERMISSION_TEXT = "Historical Market Data Service error message:No market data permissions for {symbol}"
_UNITS = {"S": "s", "D": "D", "W": "W"}


class HistoryRules(NamedTuple):
    """The pacing rules the fake enforces (IB's: 15 s, 60, 600 s; tests scale them down)."""

    identical_gap: float = 15.0
    max_requests: int = 60
    window: float = 600.0


class SeenRequest(NamedTuple):
    """A historical request as the fake parsed it (fields in ib_async 2.1's order)."""

    at: float
    req_id: int
    symbol: str
    sec_type: str
    last_trade: str
    exchange: str
    end: str
    bar_size: str
    duration: str
    use_rth: bool
    what_to_show: str
    format_date: int

    @classmethod
    def parse(cls, f: list[str]) -> "SeenRequest":
        """From message 20's fields (contract at 2..13, includeExpired at 14)."""
        return cls(time.monotonic(), int(f[1]), f[3], f[4], f[5], f[9], f[15], f[16], f[17], f[18] == "1",
                   f[19], int(f[20]))

    def key(self) -> tuple:
        """What makes two requests identical (everything but the time and the request id)."""
        return self[2:]


@dataclass
class HistoryDesk:
    """Historical-data state of one fake gateway (kept across client connections)."""

    gateway: "FakeGateway"
    intraday: dict[tuple[str, str], list[tuple]] = field(default_factory=dict)
    rules: HistoryRules | None = None
    force_violations: int = 0
    requests: list[SeenRequest] = field(default_factory=list)
    violations: list[SeenRequest] = field(default_factory=list)

    def serve(self, symbol: str, bar_size: str, bars: list[tuple]) -> None:
        """Add intraday bars ``(start UTC, o, h, l, c, v)`` of ``symbol`` at IB bar size ``bar_size``."""
        self.intraday.setdefault((symbol, bar_size), []).extend(bars)
        self.intraday[(symbol, bar_size)].sort(key=lambda bar: bar[0])

    def answer(self, client: "_Client", f: list[str]) -> None:
        """Answer one ``reqHistoricalData``."""
        seen = SeenRequest.parse(f)
        refusal = self._refusal(seen)
        self.requests.append(seen)
        if refusal:
            client.send(p.error(seen.req_id, 162, refusal))
        elif seen.bar_size == "1 day":
            client.send(p.historical_data(seen.req_id, self.gateway.bars.get(seen.symbol, [])))
        else:
            self._intraday(client, seen)

    def _refusal(self, seen: SeenRequest) -> str:
        if seen.symbol in self.gateway.needs_permission and self.gateway.market_data_type != 3:
            return PERMISSION_TEXT.format(symbol=seen.symbol)
        if self.force_violations > 0 or self._breaks_pacing(seen):
            self.force_violations = max(self.force_violations - 1, 0)
            self.violations.append(seen)
            return PACING_TEXT
        return ""

    def _breaks_pacing(self, seen: SeenRequest) -> bool:
        if self.rules is None:
            return False
        recent = [r for r in self.requests if seen.at - r.at < self.rules.window]
        identical = any(r.key() == seen.key() and seen.at - r.at < self.rules.identical_gap for r in recent)
        return identical or len(recent) >= self.rules.max_requests

    def _intraday(self, client: "_Client", seen: SeenRequest) -> None:
        end = pd.Timestamp.now("UTC") if not seen.end else pd.Timestamp(seen.end.removesuffix(" UTC"), tz="UTC")
        amount, unit = seen.duration.split()
        start = end - pd.Timedelta(int(amount), _UNITS[unit])
        rows = [b for b in self.intraday.get((seen.symbol, seen.bar_size), []) if start <= b[0] < end]
        if not rows:
            client.send(p.error(seen.req_id, 162, NO_DATA_TEXT.format(symbol=seen.symbol, exchange=seen.exchange)))
            return
        stamp = (lambda t: str(int(t.timestamp()))) if seen.format_date == 2 else \
            (lambda t: t.strftime("%Y%m%d %H:%M:%S") + " UTC")
        client.send(p.historical_data(seen.req_id, [(stamp(t), *ohlcv) for t, *ohlcv in rows]))


def session_bars(symbol: str, session_open: pd.Timestamp, session_close: pd.Timestamp, step: str,
                 timezone: str) -> list[tuple]:
    """Deterministic bars of one session, aligned as IB aligns them: ``(start UTC, o, h, l, c, v)``.

    The first bar starts at the open, later bars at multiples of ``step`` on the clock in
    ``timezone``; prices depend only on the symbol and the bar's start (so any request sees the same).
    """
    delta = pd.Timedelta(step)
    local_open = session_open.tz_convert(timezone)
    aligned = pd.date_range(local_open.floor(delta) + delta, session_close.tz_convert(timezone), freq=delta,
                            inclusive="left")
    starts = pd.DatetimeIndex([local_open]).append(aligned).tz_convert("UTC")
    seed = zlib.crc32(symbol.encode()) % 1000
    phase = starts.asi8 // 10**9 / 3600.0
    close = np.round(50.0 + seed / 10.0 + np.sin(phase + seed), 4)
    open_ = np.round(close - 0.05 * np.cos(phase), 4)
    high, low = np.maximum(open_, close) + 0.02, np.minimum(open_, close) - 0.02
    volume = 100 + (starts.asi8 // 10**9 // 60) % 97
    return list(zip(starts, open_.tolist(), np.round(high, 4).tolist(), np.round(low, 4).tolist(),
                    close.tolist(), volume.tolist()))
