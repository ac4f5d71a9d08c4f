"""Candidate pair generation: all pairs, pairs within a group, or PCA + OPTICS clusters.

Every generator returns two integer arrays ``(iy, ix)`` of column positions with ``iy < ix``, in a
deterministic order (row-major over the upper triangle).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

GROUP_COLUMNS = ("sector", "asset_class")


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
    """The ``group_by`` value ('sector' or 'asset_class') of each price column, from the instrument
    table (indexed by instrument_id). Raises naming the instruments it does not know."""
    if group_by not in GROUP_COLUMNS:
        raise ValueError(f"group_by must be one of {GROUP_COLUMNS}, got {group_by!r}")
    if instruments is None:
        raise ValueError("candidates='group' needs the instrument table (instruments=...), "
                         "built by pairs_platform.data.instruments")
    if group_by not in instruments.columns:
        raise KeyError(f"instrument table has no {group_by!r} column; see docs/architecture.md")
    missing = [c for c in columns if c not in instruments.index]
    if missing:
        raise KeyError(f"instruments {missing[:10]} are price columns but not in the instrument "
                       "table; add them to the table or drop their prices")
    labels = instruments.loc[list(columns), group_by].astype(object)
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
