"""Multiple testing: Benjamini-Hochberg q-values and selection at a false discovery rate."""
from __future__ import annotations

import numpy as np


def bh_qvalues(pvalues) -> np.ndarray:
    """Benjamini-Hochberg (1995) adjusted p-values ("q-values") of independent or PRDS tests.

    ``q_(i) = min_{j >= i} p_(j) * m / j`` over the m non-NaN p-values sorted ascending, capped at 1.
    Rejecting every test with ``q <= fdr`` controls the false discovery rate at ``fdr``.
    NaN p-values stay NaN and do not count in m.
    """
    p = np.asarray(pvalues, dtype=np.float64)
    q = np.full(p.shape, np.nan)
    valid = np.flatnonzero(~np.isnan(p))
    m = valid.size
    if m == 0:
        return q
    if np.any((p[valid] < 0) | (p[valid] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    order = valid[np.argsort(p[valid], kind="stable")]
    ranked = p[order] * m / np.arange(1, m + 1)
    q[order] = np.minimum(np.minimum.accumulate(ranked[::-1])[::-1], 1.0)
    return q


def select_by_fdr(pvalues, fdr: float = 0.05) -> np.ndarray:
    """Boolean mask of the tests rejected by the Benjamini-Hochberg procedure at level ``fdr``."""
    if not 0.0 < fdr < 1.0:
        raise ValueError(f"fdr must be in (0, 1), got {fdr}")
    q = bh_qvalues(pvalues)
    return np.where(np.isnan(q), False, q <= fdr)
