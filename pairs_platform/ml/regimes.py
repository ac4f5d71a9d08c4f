"""Market volatility regimes, fit on a training period and applied forward without look-ahead.

The detector watches the trailing realized volatility (annualized, ``window`` days) of an
equal-weight index of all instruments (daily log return = mean of the instruments' log returns).
Thresholds are quantiles of that volatility over the fit period only (dates up to and including
``fit_end``); the regime on any date ``t`` then compares the volatility known at the close of
``t`` with those frozen thresholds. Labels: ``-1`` unknown (volatility window not yet full),
``0`` calm, ``1`` normal, ``2`` turbulent (with the default two quantiles, 1/3 and 2/3).

Mean-reversion trades tend to fail when the whole market moves on one factor, so the default
rule ``regime_allows_entry`` blocks new entries in the turbulent regime (and, failing closed,
where the regime is unknown). Docs: docs/ml.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pairs_platform.conventions import TRADING_DAYS_PER_YEAR
from pairs_platform.ml.features import equal_weight_index_returns, log_returns
from pairs_platform.ml.rolling import rolling_std

UNKNOWN, CALM, NORMAL, TURBULENT = -1, 0, 1, 2
REGIME_NAMES = {UNKNOWN: "unknown", CALM: "calm", NORMAL: "normal", TURBULENT: "turbulent"}


def market_realized_vol(prices: pd.DataFrame, window: int = 20) -> pd.Series:
    """Annualized trailing realized volatility of the equal-weight index, indexed by date."""
    index_returns = equal_weight_index_returns(log_returns(prices))
    vol = rolling_std(index_returns[:, None], window)[:, 0] * np.sqrt(TRADING_DAYS_PER_YEAR)
    return pd.Series(vol, index=prices.index, name=f"market_vol_{window}d")


@dataclass(frozen=True)
class VolatilityRegimeDetector:
    """Frozen volatility thresholds (fit by ``fit_volatility_regimes``) applied to any dates.

    Attributes
    ----------
    window : int
        Trailing window of the realized volatility, in bars.
    thresholds : tuple of float
        Ascending annualized-volatility cut points; regime = number of cut points at or below
        the day's volatility.
    fit_end : pd.Timestamp
        Last date used to fit the thresholds.
    """

    window: int
    thresholds: tuple[float, ...]
    fit_end: pd.Timestamp

    def predict(self, prices: pd.DataFrame) -> pd.Series:
        """Date-indexed int regime labels (``REGIME_NAMES``) for every date of ``prices``."""
        vol = market_realized_vol(prices, self.window).to_numpy()
        regime = np.searchsorted(np.asarray(self.thresholds), vol, side="right")
        labels = np.where(np.isfinite(vol), regime, UNKNOWN).astype(np.int64)
        return pd.Series(labels, index=prices.index, name="regime")


def fit_volatility_regimes(prices: pd.DataFrame, fit_end: pd.Timestamp, window: int = 20,
                           quantiles: tuple[float, ...] = (1 / 3, 2 / 3),
                           min_observations: int = 60) -> VolatilityRegimeDetector:
    """Fits regime thresholds on the volatility of dates up to and including ``fit_end``.

    Raises:
        ValueError: fewer than ``min_observations`` volatility values before ``fit_end``, or
            quantiles not strictly increasing inside (0, 1).
    """
    q = np.asarray(quantiles, dtype=np.float64)
    if q.size == 0 or np.any((q <= 0) | (q >= 1)) or np.any(np.diff(q) <= 0):
        raise ValueError(f"regime quantiles must be strictly increasing inside (0, 1), got {quantiles}")
    fit_end = pd.Timestamp(fit_end)
    vol = market_realized_vol(prices.loc[:fit_end], window).dropna()
    if len(vol) < min_observations:
        raise ValueError(f"regime detector needs >= {min_observations} days of {window}-day market "
                         f"volatility up to fit_end={fit_end.date()}, found {len(vol)}; load earlier "
                         "prices or move fit_end later")
    thresholds = tuple(float(v) for v in np.quantile(vol.to_numpy(), q))
    return VolatilityRegimeDetector(window=window, thresholds=thresholds, fit_end=fit_end)


def detect_regimes(prices: pd.DataFrame, fit_end: pd.Timestamp, window: int = 20,
                   quantiles: tuple[float, ...] = (1 / 3, 2 / 3)) -> pd.Series:
    """Fits on dates up to ``fit_end`` and labels every date of ``prices`` (see the module doc)."""
    return fit_volatility_regimes(prices, fit_end, window, quantiles).predict(prices)


def regime_allows_entry(regimes: pd.Series, blocked: tuple[int, ...] = (TURBULENT,),
                        allow_unknown: bool = False) -> pd.Series:
    """Date-indexed booleans: True where new entries are allowed in that day's regime."""
    labels = regimes.to_numpy()
    allowed = ~np.isin(labels, np.asarray(blocked))
    allowed &= (labels != UNKNOWN) | allow_unknown
    return pd.Series(allowed, index=regimes.index, name="regime_allows_entry")
