"""Spreads and z-scores of scheduled pairs, all pairs at once.

Convention (binding across the platform, see docs/architecture.md):
``spread[t, k] = log P_y[t] - beta_k * log P_x[t] - alpha_k`` for schedule row ``k``, and the z-score
is the spread standardized either by its formation-window statistics (``spread_mean``,
``spread_std`` in the schedule, fit on data up to ``formation_end`` only) or by a trailing rolling
window that ends at ``t`` (the value at ``t`` uses prices up to and including ``t``, nothing later).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

SCHEDULE_COLUMNS = ("y", "x", "beta", "alpha", "spread_mean", "spread_std", "trade_start", "trade_end")


def check_schedule(prices: pd.DataFrame, schedule: pd.DataFrame) -> None:
    """Raise a clear error unless ``schedule`` has the schedule columns and names only price columns.

    Parameters
    ----------
    prices : pd.DataFrame
        Wide prices (one column per instrument).
    schedule : pd.DataFrame
        The pair schedule (``pairs.schedule.build_pair_schedule``).

    Raises
    ------
    ValueError
        If schedule columns are missing.
    KeyError
        If a leg is not a price column.
    """
    missing = [c for c in SCHEDULE_COLUMNS if c not in schedule.columns]
    if missing:
        raise ValueError(f"pair schedule lacks columns {missing}; build it with "
                         "pairs_platform.pairs.schedule.build_pair_schedule")
    unknown = sorted(set(schedule["y"]).union(schedule["x"]) - set(prices.columns))
    if unknown:
        raise KeyError(f"pair schedule names instruments {unknown} that are not price columns; "
                       "load their prices or drop those pairs")




def leg_index(prices: pd.DataFrame, schedule: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Column positions in ``prices`` of each schedule row's y and x legs."""
    position = pd.Index(prices.columns)
    return position.get_indexer(schedule["y"]), position.get_indexer(schedule["x"])


def pair_spreads(prices: pd.DataFrame, schedule: pd.DataFrame) -> np.ndarray:
    """(T, K) spreads of every schedule row over every date of ``prices`` (positive price levels)."""
    check_schedule(prices, schedule)
    logp = np.log(prices.to_numpy(dtype=np.float64))
    iy, ix = leg_index(prices, schedule)
    beta = schedule["beta"].to_numpy(dtype=np.float64)
    alpha = schedule["alpha"].to_numpy(dtype=np.float64)
    return logp[:, iy] - beta * logp[:, ix] - alpha


def formation_zscores(spreads: np.ndarray, schedule: pd.DataFrame) -> np.ndarray:
    """Z-scores against the formation-window mean and standard deviation of each row."""
    mean = schedule["spread_mean"].to_numpy(dtype=np.float64)
    std = schedule["spread_std"].to_numpy(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, (spreads - mean) / std, np.nan)


def rolling_zscores(spreads: np.ndarray, window: int, min_periods: int | None = None) -> np.ndarray:
    """Trailing rolling z-scores (population of the last ``window`` values up to and including t)."""
    if window < 2:
        raise ValueError(f"rolling z-score window must be >= 2, got {window}")
    frame = pd.DataFrame(spreads)
    roll = frame.rolling(window, min_periods=min_periods or window)
    mean, std = roll.mean().to_numpy(), roll.std(ddof=1).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, (spreads - mean) / std, np.nan)


def trading_mask(dates: pd.DatetimeIndex, schedule: pd.DataFrame) -> np.ndarray:
    """(T, K) booleans: True where date t lies in row k's trading window [trade_start, trade_end]."""
    d = dates.values[:, None]
    start = pd.to_datetime(schedule["trade_start"]).values[None, :]
    end = pd.to_datetime(schedule["trade_end"]).values[None, :]
    return (d >= start) & (d <= end)


def pair_ids(schedule: pd.DataFrame) -> list[str]:
    """Stable, readable ids for schedule rows: ``<window_id>|<y>~<x>``."""
    window = schedule["window_id"].astype(str) if "window_id" in schedule else pd.Series("0", index=schedule.index)
    return (window + "|" + schedule["y"].astype(str) + "~" + schedule["x"].astype(str)).tolist()


@dataclass(frozen=True)
class SpreadPanel:
    """Spreads, z-scores and trading-window mask of every schedule row, on the price dates."""

    dates: pd.DatetimeIndex
    pair_ids: list[str]
    spreads: np.ndarray
    zscores: np.ndarray
    mask: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        """Long table of the in-window cells: date, pair_id, spread, z."""
        t, k = np.nonzero(self.mask)
        return pd.DataFrame({"date": self.dates[t], "pair_id": np.asarray(self.pair_ids, dtype=object)[k],
                             "spread": self.spreads[t, k], "z": self.zscores[t, k]})


def spread_panel(prices: pd.DataFrame, schedule: pd.DataFrame, zscore: str = "formation",
                 lookback: int = 60) -> SpreadPanel:
    """All spreads and z-scores of a pair schedule at once (``zscore``: 'formation' or 'rolling')."""
    spreads = pair_spreads(prices, schedule)
    if zscore == "formation":
        z = formation_zscores(spreads, schedule)
    elif zscore == "rolling":
        z = rolling_zscores(spreads, lookback)
    else:
        raise ValueError(f"zscore must be 'formation' or 'rolling', got {zscore!r}")
    return SpreadPanel(pd.DatetimeIndex(prices.index, name="date"), pair_ids(schedule), spreads, z,
                       trading_mask(pd.DatetimeIndex(prices.index), schedule))
