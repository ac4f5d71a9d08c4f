"""The bundled real data: integrity, shape, and agreement with the trading calendar."""
import hashlib

import pandas as pd

from pairs_platform.data import make_source, trading_days, is_trading_day
from pairs_platform.data.sources.bundled import BUNDLED_SHA256, bundled_path, load_bundled_wide

EXPECTED_SHA256 = "ee21cac28befb1d0a739a9ceb22184f995394726aa0cfde9a21941d1ac04ac0d"
TICKERS = ["AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ", "JPM", "KO", "LLY", "MRK", "MSFT",
           "PEP", "PFE", "PG", "RRC", "UNH", "WMT", "XOM"]
ETFS = ["MTUM", "QUAL", "SIZE", "USMV", "VLUE"]


def test_bundled_file_is_the_published_one():
    digest = hashlib.sha256(bundled_path().read_bytes()).hexdigest()
    assert digest == EXPECTED_SHA256 == BUNDLED_SHA256


def test_bundled_loads_20_instruments_over_the_full_range():
    wide = load_bundled_wide()
    assert list(wide.columns) == [f"EQ:{t}" for t in TICKERS]
    assert wide.index[0] == pd.Timestamp("1990-01-02") and wide.index[-1] == pd.Timestamp("2022-12-28")
    assert len(wide) == 8313 and wide.index.is_unique and wide.index.is_monotonic_increasing
    assert wide.notna().all().all() and (wide > 0).all().all()


def test_bundled_dates_agree_with_the_calendar():
    dates = load_bundled_wide().index
    assert is_trading_day(dates).all(), "every bundled date must be an NYSE trading day"
    missing = trading_days(dates[0], dates[-1]).difference(dates)
    assert len(missing) == 0, f"calendar trading days absent from the bundled data: {list(missing)}"


def test_bundled_source_fetch_is_long_and_close_only():
    source = make_source("bundled")
    assert source.instrument_ids("equity") == sorted([f"EQ:{t}" for t in TICKERS + ETFS])
    assert source.instrument_ids("crypto") == []
    bars = source.fetch(["EQ:KO", "EQ:PEP"], "2022-12-20", "2022-12-28")
    assert list(bars.columns) == ["date", "instrument_id", "open", "high", "low", "close", "volume"]
    assert len(bars) == 2 * 6 and bars["close"].notna().all()
    assert bars[["open", "high", "low", "volume"]].isna().all().all()
    ko = bars[bars["instrument_id"] == "EQ:KO"].set_index("date")["close"]
    assert ko.loc["2022-12-28"] == 62.609  # last row of the shipped file


def test_full_bundled_history_cleans_with_few_changes():
    from pairs_platform.data import clean_bars, default_instruments
    source = make_source("bundled")
    raw = source.fetch(source.instrument_ids(), "1990-01-02", "2022-12-28")
    result = clean_bars(raw, trading_days("1990-01-02", "2022-12-28"), default_instruments())
    # the ETFs from their first day (2014-01-02) only: the 6,049 sessions before are not listed yet
    assert len(result.bars) == 8313 * 20 + 2264 * 5 == result.report["rows_out"]
    assert result.report["not_listed_yet"] == (8313 - 2264) * 5
    assert result.report["gaps_filled"] == 0 and result.report["duplicates_exact"] == 0
    assert 0 < result.report["outliers_replaced"] <= 10  # real earnings gaps held one day, documented
