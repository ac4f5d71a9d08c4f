"""The ``ib`` price source: pacing with a fake clock; bars and delayed fallback from the fake gateway."""
from __future__ import annotations

import pytest

from pairs_platform.data.sources import make_source
from pairs_platform.ibkr import PacingLimiter
from pairs_platform_tests.execution.ib_support import INSTRUMENTS, gateway, live_env  # noqa: F401
from pairs_platform_tests.ib_gateway import protocol


class FakeClock:
    def __init__(self):
        self.now, self.slept = 0.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_no_identical_request_within_15_seconds():
    clock = FakeClock()
    pacing = PacingLimiter(clock=clock, sleep=clock.sleep)
    assert pacing.acquire("KO") == 0 and pacing.acquire("PEP") == 0
    clock.now = 4.0
    assert pacing.acquire("KO") == pytest.approx(11.0) and clock.now == pytest.approx(15.0)


def test_at_most_60_requests_per_10_minutes():
    clock = FakeClock()
    pacing = PacingLimiter(clock=clock, sleep=clock.sleep)
    for i in range(60):
        clock.now = i * 1.0
        assert pacing.acquire(("req", i)) == 0
    clock.now = 100.0
    assert pacing.wait_time(("req", 60)) == pytest.approx(500.0)  # the first left the window at 600
    assert pacing.acquire(("req", 60)) == pytest.approx(500.0) and clock.now == pytest.approx(600.0)
    assert pacing.wait_time(("req", 61)) == pytest.approx(1.0)


BARS = [("20240102", 59.0, 60.5, 58.9, 60.0, 1000), ("20240103", 60.0, 61.0, 59.5, 60.8, 1200)]


def test_daily_bars_from_the_gateway(live_env):
    gateway = live_env
    gateway.bars["KO"] = BARS
    source = make_source("ib", instruments=INSTRUMENTS)
    bars = source.fetch(["EQ:KO"], "2024-01-02", "2024-01-03")
    assert list(bars["close"]) == [60.0, 60.8] and list(bars["instrument_id"]) == ["EQ:KO"] * 2
    assert str(bars["date"].iloc[0].date()) == "2024-01-02"
    request = gateway.messages(protocol.REQ_HISTORICAL_DATA)[0]
    assert (request[3], request[4], request[16], request[19]) == ("KO", "STK", "1 day", "TRADES")
    source.ib.disconnect()


def test_delayed_data_fallback_without_permission(live_env):
    gateway = live_env
    gateway.bars["PEP"] = BARS
    gateway.needs_permission.add("PEP")
    source = make_source("ib", instruments=INSTRUMENTS, pacing=PacingLimiter(identical_gap=0.0))
    bars = source.fetch(["EQ:PEP"], "2024-01-02", "2024-01-03")
    assert len(bars) == 2 and source.market_data_type == 3 and gateway.market_data_type == 3
    assert len(gateway.messages(protocol.REQ_HISTORICAL_DATA)) == 2
    source.ib.disconnect()


def test_futures_history_uses_the_continuous_series(live_env):
    gateway = live_env
    gateway.bars["CL"] = BARS
    source = make_source("ib", instruments=INSTRUMENTS)
    assert len(source.fetch(["FUT:CL"], "2024-01-02", "2024-01-03")) == 2
    request = gateway.messages(protocol.REQ_HISTORICAL_DATA)[0]
    assert (request[3], request[4], request[9]) == ("CL", "CONTFUT", "NYMEX")
    source.ib.disconnect()
