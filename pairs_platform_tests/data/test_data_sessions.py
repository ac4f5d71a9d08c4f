"""Intraday sessions follow the exchanges' real calendars (holidays, early closes, Globex hours)."""
import pandas as pd
import pytest

from pairs_platform.data.sessions import bar_timedelta, label_bars, session_bars, session_schedule

NY, CHICAGO = "America/New_York", "America/Chicago"


def _local(stamp, tz):
    return pd.Timestamp(stamp).tz_convert(tz).strftime("%Y-%m-%d %H:%M")


def test_nyse_around_thanksgiving_and_independence_day():
    sched = session_schedule("XNYS", "2022-11-23", "2022-11-28")
    assert [d.strftime("%m-%d") for d in sched.index] == ["11-23", "11-25", "11-28"]  # Thanksgiving closed
    assert _local(sched.loc["2022-11-25", "close"], NY) == "2022-11-25 13:00"  # early close
    assert _local(sched.loc["2022-11-23", "close"], NY) == "2022-11-23 16:00"
    assert _local(sched.loc["2022-11-23", "open"], NY) == "2022-11-23 09:30"
    july = session_schedule("XNYS", "2022-07-01", "2022-07-06")
    assert pd.Timestamp("2022-07-04") not in july.index and len(july) == 3


def test_nyse_five_minute_grid_has_78_bars_and_36_on_an_early_close():
    bars = session_bars("XNYS", "2022-11-23", "2022-11-25", "5min")
    per_session = bars.groupby("session").size()
    assert per_session.tolist() == [78, 42]  # 09:30-16:00 and 09:30-13:00
    first = bars[bars["session"] == pd.Timestamp("2022-11-25")]
    assert _local(first["timestamp"].iloc[0], NY) == "2022-11-25 09:35"
    assert _local(first["timestamp"].iloc[-1], NY) == "2022-11-25 13:00"
    assert first["slot"].tolist() == list(range(42))


def test_hourly_grid_ends_with_a_short_bar_at_the_close():
    bars = session_bars("XNYS", "2022-11-23", "2022-11-23", "1h")
    assert [_local(t, NY)[-5:] for t in bars["timestamp"]] == [
        "10:30", "11:30", "12:30", "13:30", "14:30", "15:30", "16:00"]


def test_cme_globex_around_thanksgiving():
    sched = session_schedule("CMES", "2022-11-21", "2022-11-28")
    assert _local(sched.loc["2022-11-22", "open"], CHICAGO) == "2022-11-21 17:00"  # opens the evening before
    assert _local(sched.loc["2022-11-24", "close"], CHICAGO) == "2022-11-24 12:00"  # Thanksgiving: early halt
    assert _local(sched.loc["2022-11-25", "close"], CHICAGO) == "2022-11-25 12:00"  # Black Friday early close
    assert _local(sched.loc["2022-11-28", "open"], CHICAGO) == "2022-11-27 17:00"  # Sunday evening open
    assert pd.Timestamp("2022-11-26") not in sched.index


def test_crypto_trades_every_day():
    sched = session_schedule("24/7", "2022-11-24", "2022-11-27")
    assert len(sched) == 4
    assert len(session_bars("24/7", "2022-11-26", "2022-11-26", "5min")) == 288


def test_label_bars_and_refusals():
    stamps = pd.DatetimeIndex(["2022-11-25 09:35", "2022-11-25 13:00"]).tz_localize(NY)
    labels = label_bars(stamps, "XNYS")
    assert labels["session"].tolist() == [pd.Timestamp("2022-11-25")] * 2
    assert labels["minutes_from_open"].tolist() == [5.0, 210.0]
    assert labels["minutes_to_close"].tolist() == [205.0, 0.0]
    with pytest.raises(ValueError, match="outside every XNYS session"):
        label_bars(pd.DatetimeIndex(["2022-11-25 13:05"]).tz_localize(NY), "XNYS")
    with pytest.raises(ValueError, match="outside every XNYS session"):
        label_bars(pd.DatetimeIndex(["2022-07-04 10:00"]).tz_localize(NY), "XNYS")
    with pytest.raises(ValueError, match="tz-aware"):
        label_bars(pd.DatetimeIndex(["2022-11-25 10:00"]), "XNYS")
    with pytest.raises(ValueError, match="divide one day"):
        bar_timedelta("7min")
