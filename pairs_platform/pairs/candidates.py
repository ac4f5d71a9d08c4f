"""Candidate pair generation: all pairs, pairs within a group, or PCA + OPTICS clusters.

Every generator returns two integer arrays ``(iy, ix)`` of column positions with ``iy < ix``, in a
deterministic order (row-major over the upper triangle). :func:`one_pair_per_leg` thins a ranked
selection so that no instrument is a leg of two pairs.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit

GROUP_COLUMNS = ("sector", "asset_class", "economic")
#: Asset classes whose "economic" group is the sector (equities pair within an industry, futures
#: within energy / metals / equity index / rates); the other classes (bonds, crypto) are one group each.
SECTOR_CLASSES = ("equity", "future")


def all_pairs(n_series: int) -> tuple[np.ndarray, np.ndarray]:
    """Every unordered pair of ``n_series`` columns: N (N - 1) / 2 pairs."""
    return np.triu_indices(n_series, k=1)


def pairs_within_labels(labels) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of columns that share a label; labels < 0 or NaN (noise, unknown) pair with nothing."""
    codes = pd.factorize(pd.Series(labels), use_na_sentinel=True)[0]
    raw = pd.to_numeric(pd.Series(labels), errors="coerce").to_numpy()
    codes = np.where(np.nan_to_num(raw, nan=0.0) < 0, -1, codes)
    iy, ix = np.triu_indices(len(codes), k=1)
    keep = (codes[iy] == codes[ix]) & (codes[iy] >= 0)
    return iy[keep], ix[keep]


def group_labels(columns, instruments: pd.DataFrame | None, group_by: str) -> np.ndarray:
    """The ``group_by`` value of each price column, from the instrument table (indexed by
    instrument_id): 'sector', 'asset_class' or 'economic' (the sector for equities and futures, the
    asset class otherwise; see :data:`SECTOR_CLASSES`). Raises naming the instruments it does not know."""
    if group_by not in GROUP_COLUMNS:
        raise ValueError(f"group_by must be one of {GROUP_COLUMNS}, got {group_by!r}")
    if instruments is None:
        raise ValueError("candidates='group' needs the instrument table (instruments=...), "
                         "built by pairs_platform.data.instruments")
    needed = ["sector", "asset_class"] if group_by == "economic" else [group_by]
    absent = [c for c in needed if c not in instruments.columns]
    if absent:
        raise KeyError(f"instrument table has no {absent} column(s) for group_by={group_by!r}; "
                       "see docs/architecture.md")
    missing = [c for c in columns if c not in instruments.index]
    if missing:
        raise KeyError(f"instruments {missing[:10]} are price columns but not in the instrument "
                       "table; add them to the table or drop their prices")
    rows = instruments.loc[list(columns)]
    if group_by == "economic":
        by_sector = rows["asset_class"].isin(SECTOR_CLASSES)
        labels = (rows["asset_class"].astype(str) + ":"
                  + rows["sector"].astype(str).where(by_sector, "")).where(
            ~by_sector | (rows["sector"].astype(str).str.len() > 0))
        return labels.astype(object).to_numpy()
    labels = rows[group_by].astype(object)
    return labels.where(labels.astype(str).str.len() > 0).to_numpy()


def optics_labels(series: np.ndarray, n_components: int = 5, min_samples: int = 3,
                  max_eps: float = np.inf, xi: float = 0.05) -> np.ndarray:
    """Cluster labels of the columns of ``series`` (log prices) as Sarmento and Horta (2020).

    The standardized bar-to-bar returns are reduced by PCA; each instrument is the point of its
    loadings on the first ``n_components`` components, and OPTICS clusters those points
    (label -1 is noise and joins no pair).
    """
    from sklearn.cluster import OPTICS
    from sklearn.decomposition import PCA

    returns = np.diff(series, axis=0)
    std = returns.std(axis=0)
    std[std == 0] = 1.0
    returns = (returns - returns.mean(axis=0)) / std
    n_components = min(n_components, returns.shape[0], returns.shape[1])
    loadings = PCA(n_components=n_components, svd_solver="full").fit(returns).components_.T
    min_samples = min(min_samples, loadings.shape[0])
    return OPTICS(min_samples=min_samples, max_eps=max_eps, xi=xi).fit(loadings).labels_


@njit(cache=True)
def _first_disjoint(leg_y: np.ndarray, leg_x: np.ndarray, n_legs: int) -> np.ndarray:
    used = np.zeros(n_legs, dtype=np.bool_)
    keep = np.zeros(len(leg_y), dtype=np.bool_)
    for i in range(len(leg_y)):
        if not used[leg_y[i]] and not used[leg_x[i]]:
            used[leg_y[i]] = True
            used[leg_x[i]] = True
            keep[i] = True
    return keep


def one_pair_per_leg(y, x) -> np.ndarray:
    """Mask of the pairs kept when every instrument may be a leg of one pair only: going down the
    ranked pairs ``(y[i], x[i])`` (best first), a pair is kept if neither leg is in a kept pair.

    Why (docs/pair_selection.md, "False pairs"): a leg whose returns are dominated by a stationary
    component looks cointegrated with every partner (the ADF test is oversized for it), so it
    shows up in many pairs at once; only its best pair can be its real partner. Disjoint legs also
    keep one instrument's risk from being taken several times.
    """
    codes, _ = pd.factorize(pd.Index(np.concatenate([np.asarray(y, dtype=object), np.asarray(x, dtype=object)])))
    n = len(codes) // 2
    return _first_disjoint(codes[:n].astype(np.int64), codes[n:].astype(np.int64), max(int(codes.max(initial=-1)) + 1, 1))
