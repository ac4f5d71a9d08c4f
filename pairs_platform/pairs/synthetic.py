"""Seeded synthetic universes with planted cointegrated pairs (for tests, benchmarks and docs)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def planted_pairs_prices(n_walks: int = 60, n_planted: int = 20, n_obs: int = 504,
                         seed: int = 0, phi_range: tuple[float, float] = (0.5, 0.85),
                         vol: float = 0.015, noise_vol: float = 0.004) -> tuple[pd.DataFrame, set[frozenset]]:
    """Prices of ``n_walks`` independent log random walks plus ``n_planted`` planted partners.

    Partner j of walk j is ``log P = a + b log P_walk_j + u`` with ``u`` an AR(1) of coefficient
    drawn in ``phi_range`` and innovations of sd ``noise_vol`` (so each planted pair is
    cointegrated with beta = b); walks have daily log-return sd ``vol``. Every other pair is a true
    null. (Keep ``noise_vol`` well below ``vol``: a partner whose returns are dominated by the
    stationary noise has strongly negatively autocorrelated returns, and the Engle-Granger test
    is then oversized against every other series, a known small-sample weakness of ADF tests.) Returns the wide price frame (business-day ``date`` index, ids ``SYN:W000``,
    ``SYN:P000``) and the set of planted pairs as frozensets of two ids.
    """
    if n_planted > n_walks:
        raise ValueError(f"n_planted ({n_planted}) cannot exceed n_walks ({n_walks})")
    rng = np.random.default_rng(seed)
    walks = np.log(rng.uniform(20, 200, n_walks)) + np.cumsum(rng.normal(0, vol, (n_obs, n_walks)), axis=0)
    phi = rng.uniform(*phi_range, n_planted)
    shocks = rng.normal(0, noise_vol, (n_obs, n_planted))
    noise = np.zeros((n_obs, n_planted))
    for t in range(1, n_obs):  # generator only; n_obs steps on all planted pairs at once
        noise[t] = phi * noise[t - 1] + shocks[t]
    beta = rng.uniform(0.7, 1.3, n_planted)
    partners = rng.normal(0, 0.5, n_planted) + beta * walks[:, :n_planted] + noise
    walk_ids = [f"SYN:W{j:03d}" for j in range(n_walks)]
    partner_ids = [f"SYN:P{j:03d}" for j in range(n_planted)]
    index = pd.DatetimeIndex(pd.bdate_range("2015-01-01", periods=n_obs), name="date")
    prices = pd.DataFrame(np.exp(np.hstack([walks, partners])), index=index,
                          columns=walk_ids + partner_ids)
    planted = {frozenset((walk_ids[j], partner_ids[j])) for j in range(n_planted)}
    return prices, planted


def recall_and_false_share(table: pd.DataFrame, planted: set[frozenset]) -> tuple[float, float]:
    """(share of planted pairs selected, share of selected pairs that were not planted)."""
    chosen = {frozenset(p) for p in zip(table["y"], table["x"])}
    recall = len(chosen & planted) / len(planted) if planted else float("nan")
    false_share = len(chosen - planted) / len(chosen) if chosen else 0.0
    return recall, false_share
