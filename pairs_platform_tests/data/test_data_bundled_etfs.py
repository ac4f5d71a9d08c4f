"""The bundled factor ETFs: the published file, its shape, and its instrument rows."""
import hashlib

import pandas as pd

from pairs_platform.data import is_trading_day
from pairs_platform.data.sources.bundled import (
    ETF_FILE, ETF_SECTOR, ETF_SHA256, bundled_path, etf_instruments, load_bundled_wide,
)


def test_etf_file_is_the_published_one():
    assert hashlib.sha256(bundled_path(ETF_FILE).read_bytes()).hexdigest() == ETF_SHA256 == (
        "6eb089953db90c9a38d3283582751701a90db6f59965847fd64b0578de497161")


def test_etfs_load_five_real_series_on_trading_days():
    wide = load_bundled_wide(ETF_FILE)
    assert list(wide.columns) == ["EQ:MTUM", "EQ:QUAL", "EQ:SIZE", "EQ:USMV", "EQ:VLUE"]
    assert wide.index[0] == pd.Timestamp("2014-01-02") and wide.index[-1] == pd.Timestamp("2022-12-28")
    assert len(wide) == 2264 and wide.notna().all().all() and (wide > 0).all().all()
    assert is_trading_day(wide.index).all()
    assert wide.loc["2022-12-28", "EQ:VLUE"] == 88.473  # last row of the shipped file
    assert list(load_bundled_wide().columns)[0] == "EQ:AAPL"  # the default file is unchanged


def test_etf_instrument_rows():
    table = etf_instruments()
    assert list(table.index) == list(load_bundled_wide(ETF_FILE).columns)
    assert (table["data_source"] == "bundled").all() and (table["asset_class"] == "equity").all()
    assert (table["sector"] == ETF_SECTOR).all() and table.loc["EQ:QUAL", "symbol"] == "QUAL"
