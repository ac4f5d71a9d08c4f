"""The ``ib`` intraday source against the fake gateway: session bars, pacing, permissions, missing data."""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import pairs_platform.ibkr  # noqa: F401  (registers the 'ib' intraday kind)
from pairs_platform.data.errors import DataInputError
from pairs_platform.data.sessions import exchange_calendar, session_schedule
from pairs_platform.data.sources import intraday_factory
from pairs_platform.data.sources.intraday import INTRADAY_COLUMNS, IntradaySource, session_exchange
from pairs_platform.data.sources.intraday_factory import make_intraday_source
from pairs_platform.ibkr import IBSource, PacingLimiter
from pairs_platform.ibkr.history import IBHistoryError
from pairs_platform.ibkr.intraday import IB_BAR_SIZES
from pairs_platform.ibkr.source import PACING_BACKOFF
from pairs_platform_tests.data.test_ib_source import FakeClock
from pairs_platform_tests.execution.ib_support import gateway  # noqa: F401
from pairs_platform_tests.ib_gateway.history import HistoryRules, session_bars

EARLY, NORMAL = "2023-11-24", "2023-11-27"  # the day after Thanksgiving closes at 13:00 New York


@pytest.fixture
def ib_env(monkeypatch, gateway):  # noqa: F811
    """The connection settings pointing at the fake gateway (reading prices needs no live flag)."""
    for name, value in {"IB_HOST": "127.0.0.1", "IB_PORT": str(gateway.port), "IB_CLIENT_ID": "7"}.items():
        monkeypatch.setenv(name, value)
    return gateway


@pytest.fixture
def sources():
    made = []

    def make(**kwargs) -> IBSource:
        made.append(IBSource(**kwargs))
        return made[-1]

    yield make
    for source in made:
        assert source._ib is None or not source._ib.isConnected()  # fetch_intraday closed what it opened


def plant(gw, instrument_id: str, sessions: tuple[str, str], step: str = "5min") -> pd.DataFrame:
    """Serve deterministic bars of ``instrument_id``'s sessions; returns them (start UTC, OHLCV)."""
    exchange = session_exchange(instrument_id)
    symbol = instrument_id.split(":")[1].split("-")[0]
    rows = [bar for s in session_schedule(exchange, *sessions).itertuples()
            for bar in session_bars(symbol, s.open, s.close, step, str(exchange_calendar(exchange).tz))]
    gw.history.serve(symbol, IB_BAR_SIZES[step], rows)
    return pd.DataFrame(rows, columns=["start", "open", "high", "low", "close", "volume"])


def test_session_bars_equal_what_the_gateway_served(ib_env, sources):
    served = {iid: plant(ib_env, iid, (EARLY, NORMAL)) for iid in ("EQ:KO", "EQ:PEP")}
    source = make_intraday_source("ib")
    assert isinstance(source, IntradaySource) and source.name == "ib"
    bars = source.fetch_intraday(["EQ:KO", "EQ:PEP"], EARLY, NORMAL, "5min")
    assert not source._ib.isConnected()  # the connection it opened is closed
    assert tuple(bars.columns) == INTRADAY_COLUMNS
    assert bars.groupby(["instrument_id", "session"]).size().to_dict() == {
        ("EQ:KO", pd.Timestamp(EARLY)): 42, ("EQ:KO", pd.Timestamp(NORMAL)): 78,
        ("EQ:PEP", pd.Timestamp(EARLY)): 42, ("EQ:PEP", pd.Timestamp(NORMAL)): 78}
    for iid, rows in served.items():
        mine = bars[bars["instrument_id"] == iid]
        np.testing.assert_array_equal(mine[["open", "high", "low", "close", "volume"]].to_numpy(),
                                      rows[["open", "high", "low", "close", "volume"]].to_numpy())
        assert (mine["timestamp"].to_numpy() == (rows["start"] + pd.Timedelta("5min")).to_numpy()).all()
    assert bars["timestamp"].iloc[0] == pd.Timestamp("2023-11-24 14:35", tz="UTC")  # 09:35 New York, bar end
    requests = ib_env.history.requests
    assert [(r.symbol, r.sec_type, r.bar_size, r.what_to_show, r.use_rth, r.format_date) for r in requests] == [
        ("KO", "STK", "5 mins", "TRADES", True, 2), ("PEP", "STK", "5 mins", "TRADES", True, 2)]
    # one request per instrument: Fri 09:30 .. Mon 16:00 New York
    assert requests[0].end == "20231127 21:00:00 UTC" and requests[0].duration == "4 D"


def test_hourly_bars_follow_the_clock_like_ib(ib_env, sources):
    plant(ib_env, "EQ:KO", (NORMAL, NORMAL), "1h")
    bars = sources().fetch_intraday(["EQ:KO"], NORMAL, NORMAL, "1h")
    ends = bars["timestamp"].dt.tz_convert("America/New_York").dt.strftime("%H:%M").tolist()
    assert ends == ["10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]  # the first covers 09:30-10:00
    assert ib_env.history.requests[0].duration == "23400 S"


def test_futures_ask_the_dated_contract_over_the_globex_session_and_crypto_around_the_clock(ib_env, sources):
    plant(ib_env, "FUT:CL", ("2024-03-05", "2024-03-05"), "1h")
    plant(ib_env, "CRYPTO:BTC-USD", ("2024-03-05", "2024-03-05"), "1h")
    bars = sources().fetch_intraday(["FUT:CL", "CRYPTO:BTC-USD"], "2024-03-05", "2024-03-05", "1h")
    assert bars.groupby("instrument_id").size().to_dict() == {"CRYPTO:BTC-USD": 24, "FUT:CL": 24}
    fut, crypto = ib_env.history.requests
    assert (fut.sec_type, fut.last_trade, fut.exchange, fut.use_rth) == ("FUT", "202404", "NYMEX", False)
    assert (crypto.sec_type, crypto.exchange, crypto.what_to_show, crypto.use_rth) == (
        "CRYPTO", "PAXOS", "AGGTRADES", False)
    assert (bars["session"] == pd.Timestamp("2024-03-05")).all()


def test_the_pacing_limiter_keeps_the_gateway_from_refusing_across_symbols(ib_env, sources):
    ids = ["EQ:KO", "EQ:PEP", "EQ:XOM", "EQ:CVX"]
    for iid in ids:
        plant(ib_env, iid, (NORMAL, NORMAL))
    # the fake enforces IB's rules scaled down (with a margin for the socket's latency) ...
    ib_env.history.rules = HistoryRules(identical_gap=0.4, max_requests=3, window=1.2)
    source = sources(pacing=PacingLimiter(identical_gap=0.5, max_requests=3, window=1.5))
    began = time.monotonic()
    bars = source.fetch_intraday(ids, NORMAL, NORMAL, "5min")
    again = source.fetch_intraday(["EQ:KO"], NORMAL, NORMAL, "5min")  # the identical request
    elapsed = time.monotonic() - began
    assert len(bars) == 4 * 78 and len(again) == 78
    assert ib_env.history.violations == [] and len(ib_env.history.requests) == 5
    assert elapsed >= 1.5  # the 4th request waited for the first to leave the window
    # ... and refuses the same requests when nothing paces them (so the check above can fail)
    ib_env.history.requests.clear()
    clock = FakeClock()  # the back-off after each refusal passes at once: the retries come too soon as well
    loose = sources(pacing=PacingLimiter(identical_gap=0.0, max_requests=1000, clock=clock, sleep=clock.sleep))
    with pytest.raises(IBHistoryError, match=r"EQ:\w+ 5 mins bars ending 20231127 21:00:00 UTC.*pacing violation"):
        loose.fetch_intraday(ids, NORMAL, NORMAL, "5min")
    assert ib_env.history.violations


def test_a_pacing_violation_backs_off_and_retries(ib_env, sources):
    plant(ib_env, "EQ:KO", (NORMAL, NORMAL))
    clock = FakeClock()
    ib_env.history.force_violations = 1
    source = sources(pacing=PacingLimiter(clock=clock, sleep=clock.sleep))
    assert len(source.fetch_intraday(["EQ:KO"], NORMAL, NORMAL, "5min")) == 78
    assert clock.slept == [pytest.approx(PACING_BACKOFF)] and len(ib_env.history.requests) == 2
    ib_env.history.force_violations = 5
    with pytest.raises(IBHistoryError, match="EQ:KO.*pacing violation.*wait ten minutes"):
        source.fetch_intraday(["EQ:KO"], NORMAL, NORMAL, "5min")


def test_without_permission_it_falls_back_to_delayed_data(ib_env, sources):
    plant(ib_env, "EQ:PEP", (NORMAL, NORMAL))
    ib_env.needs_permission.add("PEP")
    source = sources(pacing=PacingLimiter(identical_gap=0.0))
    assert len(source.fetch_intraday(["EQ:PEP"], NORMAL, NORMAL, "5min")) == 78
    assert source.market_data_type == 3 and ib_env.market_data_type == 3
    assert len(ib_env.history.requests) == 2


def test_no_bars_name_the_instrument_and_the_session(ib_env, sources):
    plant(ib_env, "EQ:KO", (EARLY, EARLY))  # KO lacks the 27th, PEP has nothing at all
    source = sources()
    with pytest.raises(DataInputError, match=r"EQ:PEP, date 2023-11-24.*no 5 mins bars for session\(s\) "
                                             r"2023-11-24, 2023-11-27 \('HMDS query returned no data'\)"):
        source.fetch_intraday(["EQ:PEP"], EARLY, NORMAL, "5min")
    with pytest.raises(DataInputError, match=r"EQ:KO, date 2023-11-27.*session\(s\) 2023-11-27 "):
        source.fetch_intraday(["EQ:KO"], EARLY, NORMAL, "5min")


def test_bar_sizes_ib_does_not_serve_and_the_unregistered_kind_say_so(monkeypatch):
    with pytest.raises(ValueError, match=r"IB serves no 0 days 00:06:00 bars.*'5min', '10min'"):
        IBSource().fetch_intraday(["EQ:KO"], NORMAL, NORMAL, "6min")
    monkeypatch.setitem(intraday_factory.INTRADAY_SOURCE_FACTORIES, "ib", intraday_factory._ib_not_registered)
    with pytest.raises(ValueError, match="import pairs_platform.ibkr"):
        make_intraday_source("ib")


def test_a_long_range_is_asked_in_chunks_whose_overlap_is_dropped(ib_env, sources):
    served = plant(ib_env, "EQ:KO", ("2024-03-01", "2024-03-15"))  # 11 sessions, a DST change on the 10th
    bars = sources().fetch_intraday(["EQ:KO"], "2024-03-01", "2024-03-15", "5min")
    assert [r.end for r in ib_env.history.requests] == ["20240307 21:00:00 UTC", "20240314 20:00:00 UTC",
                                                        "20240315 20:00:00 UTC"]
    assert len(bars) == 11 * 78 and bars["session"].nunique() == 11  # no bar twice, none lost
    np.testing.assert_array_equal(bars["close"].to_numpy(), served["close"].to_numpy())


def test_a_bar_outside_every_session_is_refused_naming_the_instrument(ib_env, sources):
    plant(ib_env, "EQ:KO", (EARLY, NORMAL))
    ib_env.history.serve("KO", "5 mins", [(pd.Timestamp("2023-11-25 15:00", tz="UTC"), 1.0, 1.0, 1.0, 1.0, 1)])
    with pytest.raises(DataInputError, match=r"EQ:KO.*bar outside the sessions.*2023-11-25 15:05.*XNYS"):
        sources().fetch_intraday(["EQ:KO"], EARLY, NORMAL, "5min")
