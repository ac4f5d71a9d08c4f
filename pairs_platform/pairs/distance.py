"""Distance method of Gatev, Goetzmann and Rouwenhorst (2006), all pairs at once.

Each price series is normalized to a cumulative-return index ``n_t = P_t / P_0`` (1 at the first
formation date); the distance of a pair is the sum of squared differences (SSD) of the two
indices over the formation window, and the pairs with the smallest SSD are selected.

Spread convention (binding across the platform): ``spread_t = log P_y,t - beta * log P_x,t - alpha``.
For a distance pair this is the log of the ratio of the two normalized indices,
``log n_y,t - log n_x,t``, so ``beta = 1`` and ``alpha = log P_y,0 - log P_x,0`` (the log price
difference on the first formation date). ``spread_mean``/``spread_std`` (ddof=1) are of that spread
over the formation window. Gatev's own trading rule uses the *price* difference of the normalized
indices, ``n_y - n_x``; its formation standard deviation is returned as ``gatev_spread_std``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pairs_platform.pairs._validation import wide_price_matrix

DISTANCE_COLUMNS = ["y", "x", "ssd", "beta", "alpha", "spread_mean", "spread_std", "gatev_spread_std"]


def normalized_indices(values: np.ndarray) -> np.ndarray:
    """(T, N) cumulative-return indices ``P_t / P_0`` of a (T, N) positive price array."""
    return values / values[0]


def ssd_matrix(values: np.ndarray) -> np.ndarray:
    """(N, N) sums of squared differences of the normalized indices of every pair of columns.

    Computed as ``|a|^2 + |b|^2 - 2 a.b`` from one matrix product, so all N(N-1)/2 pairs cost one
    BLAS call; the selected pairs are recomputed exactly by :func:`pair_ssd`.
    """
    norm = normalized_indices(np.asarray(values, dtype=np.float64))
    gram = norm.T @ norm
    sq = np.diag(gram)
    ssd = sq[:, None] + sq[None, :] - 2.0 * gram
    np.fill_diagonal(ssd, 0.0)
    return np.maximum(ssd, 0.0)


def pair_ssd(values: np.ndarray, iy: np.ndarray, ix: np.ndarray) -> np.ndarray:
    """Exact SSD of the normalized indices for the listed pairs (column positions ``iy``, ``ix``)."""
    norm = normalized_indices(np.asarray(values, dtype=np.float64))
    diff = norm[:, iy] - norm[:, ix]
    return np.einsum("tp,tp->p", diff, diff)


def distance_spread_stats(values: np.ndarray, iy: np.ndarray, ix: np.ndarray) -> dict[str, np.ndarray]:
    """beta (=1), alpha, spread_mean, spread_std and gatev_spread_std of distance pairs."""
    logp = np.log(values)
    alpha = logp[0, iy] - logp[0, ix]
    spread = logp[:, iy] - logp[:, ix] - alpha
    norm = normalized_indices(values)
    return {
        "beta": np.ones(len(iy)),
        "alpha": alpha,
        "spread_mean": spread.mean(axis=0),
        "spread_std": spread.std(axis=0, ddof=1),
        "gatev_spread_std": (norm[:, iy] - norm[:, ix]).std(axis=0, ddof=1),
    }


def smallest_ssd_pairs(ssd: np.ndarray, n_pairs: int) -> tuple[np.ndarray, np.ndarray]:
    """Column positions (iy < ix) of the ``n_pairs`` pairs with the smallest SSD, ascending."""
    iy, ix = np.triu_indices(ssd.shape[0], k=1)
    values = ssd[iy, ix]
    n_pairs = min(int(n_pairs), len(values))
    if n_pairs < len(values):
        keep = np.argpartition(values, n_pairs - 1)[:n_pairs]
    else:
        keep = np.arange(len(values))
    order = np.lexsort((ix[keep], iy[keep], values[keep]))
    keep = keep[order]
    return iy[keep], ix[keep]


def distance_pairs(prices: pd.DataFrame, n_pairs: int = 20) -> pd.DataFrame:
    """The ``n_pairs`` pairs with the smallest distance (Gatev et al. 2006) in one formation window.

    Parameters
    ----------
    prices : wide price DataFrame of one formation window (DatetimeIndex ``date``, one column per
        instrument id, positive prices).
    n_pairs : how many pairs to return (Gatev et al. trade the top 5 and top 20).

    Returns
    -------
    DataFrame, one row per pair ranked by ascending SSD, columns ``y, x, ssd, beta, alpha,
    spread_mean, spread_std, gatev_spread_std`` (``y`` is the earlier of the two columns). The
    spread convention is the module docstring's: ``log P_y - 1.0 * log P_x - alpha``.
    """
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
    values = wide_price_matrix(prices)
    iy, ix = smallest_ssd_pairs(ssd_matrix(values), n_pairs)
    names = np.asarray(prices.columns, dtype=object)
    table = pd.DataFrame({"y": names[iy], "x": names[ix], "ssd": pair_ssd(values, iy, ix)})
    for key, column in distance_spread_stats(values, iy, ix).items():
        table[key] = column
    return table[DISTANCE_COLUMNS].reset_index(drop=True)
