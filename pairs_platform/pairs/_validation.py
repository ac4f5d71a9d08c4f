"""Input checks shared by the pair-selection functions (clear errors, no silent repair)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def wide_price_matrix(prices: pd.DataFrame, *, what: str = "prices") -> np.ndarray:
    """Check a wide price frame (see docs/architecture.md) and return it as a (T, N) float64 array.

    Raises ``TypeError``/``ValueError`` naming the instrument, date and field when the frame
    breaks the wide-price contract: DatetimeIndex sorted and unique, unique instrument columns,
    finite and strictly positive prices.
    """
    if not isinstance(prices, pd.DataFrame):
        raise TypeError(f"{what} must be a wide pandas DataFrame (date x instrument_id), "
                        f"got {type(prices).__name__}")
    if not isinstance(prices.index, pd.DatetimeIndex):
        raise TypeError(f"{what} must have a DatetimeIndex named 'date', got "
                        f"{type(prices.index).__name__}; set it with df.set_index('date')")
    if not prices.index.is_monotonic_increasing or prices.index.has_duplicates:
        raise ValueError(f"{what}: dates must be sorted ascending and unique; "
                         "use df.sort_index() and drop duplicate dates")
    if prices.columns.has_duplicates:
        dup = sorted(map(str, prices.columns[prices.columns.duplicated()].unique()))
        raise ValueError(f"{what}: duplicate instrument columns {dup}; keep one column per instrument")
    if prices.shape[1] < 2:
        raise ValueError(f"{what}: need at least 2 instrument columns to form a pair, "
                         f"got {prices.shape[1]}")
    values = prices.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values <= 0)
    if bad.any():
        t, j = np.argwhere(bad)[0]
        raise ValueError(
            f"{what}: instrument {prices.columns[j]!r} has close price {values[t, j]!r} on "
            f"{prices.index[t].date()} ({int(bad.sum())} bad cells in all); prices must be finite "
            "and > 0: clean the window (pairs_platform.data cleaning) or drop that instrument")
    return values
