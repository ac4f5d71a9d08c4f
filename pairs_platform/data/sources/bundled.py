"""The bundled source: real adjusted daily closes of 20 S&P 500 stocks (1990-01-02..2022-12-28) and
5 equity factor ETFs (2014-01-02..2022-12-28).

The files ship as package data (``pairs_platform/data/bundled/sp500_dataset.csv.gz`` and
``factors_dataset.csv.gz``, copied from the skfolio wheel, BSD-3; see PROVENANCE.md there). Only
closes exist: open/high/low/volume are NaN. An ETF has no bars before its first date.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd

from pairs_platform.data.instruments import ETF_SECTOR  # noqa: F401  (re-exported: the ETFs' sector)
from pairs_platform.data.sources.base import (
    check_requested, date_bounds, empty_bars, filter_by_class, standardize_bars,
)

BUNDLED_FILE = "sp500_dataset.csv.gz"
BUNDLED_SHA256 = "ee21cac28befb1d0a739a9ceb22184f995394726aa0cfde9a21941d1ac04ac0d"
#: Real closes of 5 equity factor ETFs (MTUM, QUAL, SIZE, USMV, VLUE), 2014-01-02..2022-12-28.
ETF_FILE = "factors_dataset.csv.gz"
ETF_SHA256 = "6eb089953db90c9a38d3283582751701a90db6f59965847fd64b0578de497161"
#: Files served by :class:`BundledSource`, in this order.
SERVED_FILES = (BUNDLED_FILE, ETF_FILE)


def bundled_path(name: str = BUNDLED_FILE):
    """A ``Traversable`` pointing at a shipped CSV (default the 20 stocks)."""
    return resources.files("pairs_platform.data.bundled") / name


@lru_cache(maxsize=2)
def load_bundled_wide(name: str = BUNDLED_FILE) -> pd.DataFrame:
    """A bundled file's closes as a wide frame (``date`` index, columns ``EQ:<ticker>``). Cached;
    do not mutate. ``name``: :data:`BUNDLED_FILE` (20 stocks) or :data:`ETF_FILE` (5 factor ETFs)."""
    with bundled_path(name).open("rb") as fh:
        wide = pd.read_csv(fh, compression="gzip", index_col="Date", parse_dates=["Date"])
    wide.index = pd.DatetimeIndex(wide.index.astype("datetime64[ns]"), name="date")
    wide.columns = [f"EQ:{c}" for c in wide.columns]
    return wide.astype("float64")


def etf_instruments() -> pd.DataFrame:
    """The ``default_instruments()`` rows of the bundled factor ETFs (equities, sector
    :data:`ETF_SECTOR`, ``data_source`` 'bundled')."""
    from pairs_platform.data.instruments import default_instruments
    return default_instruments().loc[list(load_bundled_wide(ETF_FILE).columns)]


def served_wide() -> pd.DataFrame:
    """Closes of every instrument :class:`BundledSource` serves (stocks then ETFs; NaN before an
    ETF's first date)."""
    return pd.concat([load_bundled_wide(name) for name in SERVED_FILES], axis=1)


class BundledSource:
    """Real closes of 20 S&P 500 stocks and 5 factor ETFs (equities only, close only)."""

    name = "bundled"
    asset_classes = ("equity",)

    def instrument_ids(self, asset_class: str | None = None) -> list[str]:
        """The 25 bundled equity ids (20 stocks, 5 ETFs; sorted; ``[]`` for any other asset class)."""
        return filter_by_class([c for name in SERVED_FILES for c in load_bundled_wide(name).columns], asset_class)

    def instruments(self) -> pd.DataFrame:
        """The rows of ``default_instruments()`` this source serves."""
        from pairs_platform.data.instruments import default_instruments
        return default_instruments().loc[self.instrument_ids()]

    def fetch(self, instrument_ids: list[str], start: Any, end: Any) -> pd.DataFrame:
        """Long bars (close only; other fields NaN) for ``start..end`` inclusive."""
        ids = check_requested(self.name, instrument_ids, self.instrument_ids())
        lo, hi = date_bounds(start, end)
        wide = served_wide().loc[lo:hi, ids]
        if wide.empty or not ids:
            return empty_bars()
        long = wide.melt(ignore_index=False, var_name="instrument_id", value_name="close").reset_index()
        return standardize_bars(long.dropna(subset=["close"]))
