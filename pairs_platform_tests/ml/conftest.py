"""Seeded synthetic market for the ml tests: OU spreads on random-walk legs plus a hand-made schedule."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from pairs_platform.signals.spreads import formation_zscores, pair_spreads, trading_mask


@dataclass
class SyntheticMarket:
    prices: pd.DataFrame
    schedule: pd.DataFrame
    spreads: np.ndarray
    zscores: np.ndarray
    mask: np.ndarray


def make_prices(n_pairs: int = 4, n_days: int = 900, half_life: float = 6.0, seed: int = 7) -> pd.DataFrame:
    """Legs X_k random walks; Y_k = 0.8 * X_k + 0.1 + OU spread; plus two unrelated random walks."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2018-01-02", periods=n_days, name="date")
    phi = 0.5 ** (1.0 / half_life)
    logx = np.log(50.0) + np.cumsum(rng.normal(0.0003, 0.015, (n_days, n_pairs)), axis=0)
    ou = np.zeros((n_days, n_pairs))
    shocks = rng.normal(0.0, 0.01, (n_days, n_pairs))
    for t in range(1, n_days):  # test data generation only, not a hot path
        ou[t] = phi * ou[t - 1] + shocks[t]
    logy = 0.8 * logx + 0.1 + ou
    noise = np.log(30.0) + np.cumsum(rng.normal(0.0, 0.02, (n_days, 2)), axis=0)
    columns = ([f"EQ:Y{k}" for k in range(n_pairs)] + [f"EQ:X{k}" for k in range(n_pairs)]
               + ["EQ:N0", "EQ:N1"])
    return pd.DataFrame(np.exp(np.hstack([logy, logx, noise])), index=dates, columns=columns)


def make_schedule(prices: pd.DataFrame, n_pairs: int, windows: list[tuple[int, int, int, int]]) -> pd.DataFrame:
    """One row per (window, pair) with the true hedge ratio and formation-window spread stats."""
    dates, rows = prices.index, []
    for window_id, (f0, f1, t0, t1) in enumerate(windows):
        for k in range(n_pairs):
            y, x = prices[f"EQ:Y{k}"].iloc[f0:f1 + 1], prices[f"EQ:X{k}"].iloc[f0:f1 + 1]
            spread = np.log(y) - 0.8 * np.log(x) - 0.1
            rows.append({"window_id": f"w{window_id}", "formation_start": dates[f0], "formation_end": dates[f1],
                         "trade_start": dates[t0], "trade_end": dates[t1], "y": f"EQ:Y{k}", "x": f"EQ:X{k}",
                         "beta": 0.8, "alpha": 0.1, "half_life": 6.0 + k, "spread_mean": float(spread.mean()),
                         "spread_std": float(spread.std(ddof=1)), "pvalue": 0.001 * (k + 1)})
    return pd.DataFrame(rows)


def make_market(n_pairs: int = 4, n_days: int = 900, seed: int = 7) -> SyntheticMarket:
    prices = make_prices(n_pairs, n_days, seed=seed)
    last = n_days - 1
    windows = [(0, 249, 250, 499), (250, 499, 500, 749), (500, 749, 750, last)]
    schedule = make_schedule(prices, n_pairs, windows)
    spreads = pair_spreads(prices, schedule)
    return SyntheticMarket(prices, schedule, spreads, formation_zscores(spreads, schedule),
                           trading_mask(prices.index, schedule))


@pytest.fixture(scope="session")
def market() -> SyntheticMarket:
    return make_market()


@dataclass
class Samples:
    features: pd.DataFrame
    labels: pd.Series
    label_end: pd.Series


def make_samples(n_dates: int = 300, per_date: int = 4, seed: int = 3) -> Samples:
    """Candidate-like samples with a learnable label: P(1) rises with ``signal``, falls with ``noise_vol``."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=n_dates, name="date")
    index = pd.MultiIndex.from_product([dates, [f"w0|EQ:A{k}~EQ:B{k}" for k in range(per_date)]],
                                       names=["date", "pair_id"])
    n = len(index)
    features = pd.DataFrame({"signal": rng.normal(size=n), "noise_vol": rng.normal(size=n),
                             "irrelevant": rng.normal(size=n)}, index=index)
    features.iloc[::17, 2] = np.nan  # the pipeline must impute
    logit = 1.5 * features["signal"] - 0.8 * features["noise_vol"] + 0.3
    labels = pd.Series((rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float), index=index, name="label")
    bars = rng.integers(1, 20, size=n)
    starts = pd.DatetimeIndex(index.get_level_values("date"))
    label_end = pd.Series(starts + pd.to_timedelta(bars * 7 // 5, unit="D"), index=index, name="label_end")
    return Samples(features, labels, label_end)


@pytest.fixture(scope="session")
def samples() -> Samples:
    return make_samples()
