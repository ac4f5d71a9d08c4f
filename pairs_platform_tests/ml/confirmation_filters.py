"""Confirmation filters of z-score entries, all pairs at once (research helpers, used by the tests).

Every filter takes the (T, K) boolean ``entry_candidates`` (rows = dates, columns = schedule rows)
and returns the subset it confirms; ``combine_filters`` ANDs any number of them into the
``entry_allowed`` mask that ``pairs_platform.backtest.run_backtest(..., entry_allowed=mask)``
takes (the engine opens a position only where its own entry rule fires *and* the mask is True;
exits are never filtered). Pass the entry zone (``pairs_platform.signals.entries.entry_zone``: in window and ``|z| >= entry``) as
candidates so that a day the engine may enter on is never blocked for not being a first crossing
(``signals.rules.entry_side`` enters on ``entry <= |z| < stop``).

Each filter decides day ``t`` from values known at the close of ``t``: the probability from
features up to ``t``, the regime from volatility up to ``t``, and ``z[t]`` against ``z[t-1]``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _bool_panel(name: str, values: np.ndarray) -> np.ndarray:
    array = np.asarray(values)
    if array.ndim != 2:
        raise ValueError(f"{name} must be a (dates, pairs) array, got shape {array.shape}")
    return array.astype(bool, copy=False)


def _same_shape(name: str, values: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    array = np.asarray(values)
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape} (dates x pairs, same as "
                         "entry_candidates)")
    return array


def ml_filter(entry_candidates: np.ndarray, proba: np.ndarray, threshold: float) -> np.ndarray:
    """Candidates whose model probability of reverting is ``>= threshold`` (NaN proba: rejected)."""
    candidates = _bool_panel("entry_candidates", entry_candidates)
    p = _same_shape("proba", proba, candidates.shape).astype(np.float64)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"ml_filter threshold must lie in [0, 1], got {threshold}")
    with np.errstate(invalid="ignore"):
        return candidates & (p >= threshold)


def regime_filter(entry_candidates: np.ndarray, allowed: pd.Series | np.ndarray,
                  dates: pd.DatetimeIndex | None = None) -> np.ndarray:
    """Candidates on dates whose market regime allows entries.

    Args:
        allowed: per-date booleans, either a (T,) array aligned with the candidate rows or a
            date-indexed Series (e.g. ``ml.regimes.regime_allows_entry``), then ``dates`` (the
            candidate rows' dates) is required; dates missing from the Series are blocked.
    """
    candidates = _bool_panel("entry_candidates", entry_candidates)
    if isinstance(allowed, pd.Series):
        if dates is None:
            raise ValueError("regime_filter needs the candidate dates to align a date-indexed Series")
        if len(dates) != candidates.shape[0]:
            raise ValueError(f"{len(dates)} dates for {candidates.shape[0]} candidate rows")
        per_date = allowed.reindex(pd.DatetimeIndex(dates)).fillna(False).to_numpy(dtype=bool)
    else:
        per_date = _same_shape("allowed", allowed, (candidates.shape[0],)).astype(bool)
    return candidates & per_date[:, None]


def momentum_filter(entry_candidates: np.ndarray, zscores: np.ndarray,
                    entry: float | None = None) -> np.ndarray:
    """Candidates where ``|z|`` has turned back toward the mean: ``|z[t]| < |z[t-1]|``.

    With ``entry`` given, also requires ``|z[t]| >= entry`` (still outside the entry band).
    The first row has no previous value and is rejected.
    """
    candidates = _bool_panel("entry_candidates", entry_candidates)
    abs_z = np.abs(_same_shape("zscores", zscores, candidates.shape).astype(np.float64))
    previous = np.vstack([np.full((1, abs_z.shape[1]), np.nan), abs_z[:-1]])
    with np.errstate(invalid="ignore"):
        turning = abs_z < previous
        if entry is not None:
            turning &= abs_z >= entry
    return candidates & turning


def combine_filters(*masks: np.ndarray) -> np.ndarray:
    """Logical AND of (T, K) boolean masks: the ``entry_allowed`` mask for the backtest engine."""
    if not masks:
        raise ValueError("combine_filters needs at least one mask")
    first = _bool_panel("mask 0", masks[0])
    out = first.copy()
    for i, mask in enumerate(masks[1:], start=1):  # a handful of filters, not pairs or bars
        out &= _same_shape(f"mask {i}", mask, first.shape).astype(bool)
    return out
