"""Test stages of pair selection: each scores candidate pairs and says which passed.

A stage takes the (T, N) series (log prices), candidate column positions ``iy, ix`` and returns a
:class:`Screen`: the (possibly re-oriented) pairs, per-pair statistics and the pass mask.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pairs_platform.pairs.coint import coint_pairs
from pairs_platform.pairs.distance import pair_ssd, ssd_matrix
from pairs_platform.pairs.fdr import bh_qvalues
from pairs_platform.pairs.johansen import johansen_pairs

DIRECTIONS = ("both", "either", "fixed")
JOHANSEN_LEVELS = {0.90: 0, 0.95: 1, 0.99: 2}


@dataclass
class Screen:
    """Oriented pairs (y = iy, x = ix), their statistics by name, the pass mask, tests run."""

    iy: np.ndarray
    ix: np.ndarray
    stats: dict[str, np.ndarray] = field(default_factory=dict)
    passed: np.ndarray | None = None
    n_tests: int = 0

    def subset(self, keep: np.ndarray) -> "Screen":
        """The pairs selected by a boolean mask or index array, statistics included."""
        stats = {k: v[keep] for k, v in self.stats.items()}
        return Screen(self.iy[keep], self.ix[keep], stats, None, self.n_tests)


def engle_granger_stats(series, iy, ix, direction="both", **coint_options) -> Screen:
    """Engle-Granger statistics of candidate pairs, in one or both regression directions.

    direction="fixed": y is ``iy``, one test per pair. Otherwise both regressions are run and the
    row keeps the direction with the smaller p-value (ties: the more negative statistic, then the
    given order), which also sets the hedge direction; ``pvalue``/``stat`` are that direction's
    statsmodels numbers and ``pvalue_reverse`` the other direction's. The pair's p-value for
    multiple testing, ``pvalue_pair``, is ``max(p_yx, p_xy)`` for direction="both" (the pair must
    be cointegrated whichever leg is regressed on the other; a valid p-value since
    ``P(max <= a) <= P(p_yx <= a)``) and the Bonferroni bound ``min(1, 2 min(p_yx, p_xy))`` for
    direction="either" (either direction may reject).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, got {direction!r}")
    ahead = coint_pairs(series, iy, ix, **coint_options)
    stats = {"stat": ahead.stat, "pvalue": ahead.pvalue, "lag": ahead.lag,
             "pvalue_reverse": np.full(len(iy), np.nan), "pvalue_pair": ahead.pvalue}
    if direction == "fixed":
        return Screen(np.asarray(iy), np.asarray(ix), stats, None, len(iy))
    back = coint_pairs(series, ix, iy, **coint_options)
    flip = (back.pvalue < ahead.pvalue) | ((back.pvalue == ahead.pvalue) & (back.stat < ahead.stat))
    stats = {
        "stat": np.where(flip, back.stat, ahead.stat),
        "pvalue": np.where(flip, back.pvalue, ahead.pvalue),
        "lag": np.where(flip, back.lag, ahead.lag),
        "pvalue_reverse": np.where(flip, ahead.pvalue, back.pvalue),
        "pvalue_pair": (np.maximum(ahead.pvalue, back.pvalue) if direction == "both"
                        else np.minimum(1.0, 2.0 * np.minimum(ahead.pvalue, back.pvalue))),
    }
    return Screen(np.where(flip, ix, iy), np.where(flip, iy, ix), stats, None, 2 * len(iy))


def engle_granger_stage(series, iy, ix, fdr=0.05, direction="both", max_pvalue=None,
                        **coint_options) -> Screen:
    """Engle-Granger tests with Benjamini-Hochberg q-values; passes the pairs with q <= fdr, or,
    when ``max_pvalue`` is given, those with a pair p-value <= max_pvalue (a per-test level with
    no multiple-testing control; q-values are still reported)."""
    if not 0.0 < fdr < 1.0:
        raise ValueError(f"fdr must be in (0, 1), got {fdr}")
    if max_pvalue is not None and not 0.0 < max_pvalue < 1.0:
        raise ValueError(f"max_pvalue must be in (0, 1) or None, got {max_pvalue}")
    screen = engle_granger_stats(series, iy, ix, direction, **coint_options)
    screen.stats["qvalue"] = bh_qvalues(screen.stats["pvalue_pair"])
    screen.passed = (screen.stats["qvalue"] <= fdr if max_pvalue is None
                     else screen.stats["pvalue_pair"] <= max_pvalue)
    return screen


def johansen_stats(series, iy, ix, det_order=0, k_ar_diff=1) -> dict[str, np.ndarray]:
    """Johansen trace and max-eigenvalue statistics (null r = 0) and their 95 % critical values."""
    res = johansen_pairs(series, iy, ix, det_order=det_order, k_ar_diff=k_ar_diff)
    n = len(iy)
    return {"johansen_trace": res.trace_stat[:, 0], "johansen_max_eig": res.max_eig_stat[:, 0],
            "johansen_trace_crit95": np.full(n, res.trace_crit[0, 1]),
            "johansen_max_eig_crit95": np.full(n, res.max_eig_crit[0, 1])}


def johansen_stage(series, iy, ix, level=0.95, det_order=0, k_ar_diff=1) -> Screen:
    """Johansen trace test of r = 0 at ``level`` (0.90, 0.95 or 0.99): no p-values, no FDR."""
    if level not in JOHANSEN_LEVELS:
        raise ValueError(f"johansen level must be one of {sorted(JOHANSEN_LEVELS)}, got {level}")
    stats = johansen_stats(series, iy, ix, det_order=det_order, k_ar_diff=k_ar_diff)
    crit = johansen_pairs(series[:, :2], [0], [1], det_order, k_ar_diff).trace_crit[0]
    passed = stats["johansen_trace"] > crit[JOHANSEN_LEVELS[level]]
    return Screen(np.asarray(iy), np.asarray(ix), stats, passed, len(iy))


def distance_stage(values, iy, ix, n_pairs=20) -> Screen:
    """Gatev et al. (2006): the ``n_pairs`` candidates with the smallest SSD of normalized prices."""
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
    ssd = ssd_matrix(values)[iy, ix]
    order = np.lexsort((ix, iy, ssd))[:n_pairs]
    ssd[order] = pair_ssd(values, iy[order], ix[order])  # exact sums for the selected pairs
    passed = np.zeros(len(iy), dtype=bool)
    passed[order] = True
    return Screen(np.asarray(iy), np.asarray(ix), {"ssd": ssd}, passed, len(iy))
