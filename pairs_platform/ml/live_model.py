"""Which entry filter the signals use, and the drift / decay reports of that model.

The backtest history keeps its walk-forward models (each scores only the sessions after its own
cutoff); from the champion's cutoff on, the champion's verdicts replace them
(:func:`champion_segments`). With no champion yet (no challenger has passed the promotion gate)
the walk-forward models alone score every session, exactly as before the lifecycle existed.

The model *in use* (:func:`model_in_use`) is the champion if there is one, else the newest
walk-forward model; its cutoff splits the feature rows into the drift reference (its training
inputs) and the recent window, and its purged-CV precision is the hit rate its live entries are
expected to reach (:func:`drift_report`, :func:`signals_decay`). Docs: docs/ml.md (Lifecycle).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pairs_platform.ml.drift import (
    DecayReport, DecayThresholds, DriftReport, DriftThresholds, drift_windows, feature_drift, performance_decay,
)
from pairs_platform.ml.training import TrainedFilter
from pairs_platform.ml.walkforward import FilterSegment

__all__ = ["RECENT_SESSIONS", "champion_segments", "drift_report", "model_in_use", "signals_decay"]

RECENT_SESSIONS = 60
"""Distinct sessions of the recent window the drift reports compare with the reference."""


def champion_segments(segments: list[FilterSegment], champion: TrainedFilter | None) -> list[FilterSegment]:
    """Walk-forward ``segments`` up to the champion's cutoff, then the champion until the end.

    Parameters
    ----------
    segments : list of FilterSegment
        The walk-forward models (``walkforward.train_walk_forward``), in date order.
    champion : TrainedFilter or None
        The registry's champion; None keeps ``segments`` unchanged.

    Returns
    -------
    list of FilterSegment
        Segments ending at or before ``champion.cutoff`` (the one straddling it cut there), then
        one segment ``[champion.cutoff, max)`` scored by the champion.
    """
    if champion is None:
        return list(segments)
    cutoff = pd.Timestamp(champion.cutoff)
    kept = [FilterSegment(s.start, min(s.end, cutoff), s.model, s.n_train) for s in segments if s.start < cutoff]
    return kept + [FilterSegment(cutoff, pd.Timestamp.max, champion, -1)]


def model_in_use(segments: list[FilterSegment], champion: TrainedFilter | None) -> TrainedFilter | None:
    """The champion, else the newest walk-forward model, else None (no model anywhere)."""
    if champion is not None:
        return champion
    trained = [s.model for s in segments if s.model is not None]
    return trained[-1] if trained else None


def drift_report(features: pd.DataFrame, model: TrainedFilter,
                 thresholds: DriftThresholds = DriftThresholds()) -> DriftReport:
    """Feature drift between ``model``'s training inputs (rows before its cutoff) and the last
    :data:`RECENT_SESSIONS` sessions on or after it (``drift.feature_drift``)."""
    reference, recent = drift_windows(features, pd.Timestamp(model.cutoff), RECENT_SESSIONS)
    return feature_drift(reference, recent, thresholds)


def signals_decay(signals: pd.DataFrame, labels: pd.DataFrame, model: TrainedFilter,
                  thresholds: DecayThresholds = DecayThresholds()) -> DecayReport | None:
    """Live hit rate of the entries ``model`` accepted after its cutoff vs its CV precision.

    Parameters
    ----------
    signals : pd.DataFrame
        The signals table (``signals.entries.entry_signals``: ``date``, ``pair_id``, ``entry_zone``,
        ``ml_accept`` columns).
    labels : pd.DataFrame
        ``label`` and ``label_end`` on ``(date, pair_id)`` (``labels.panel_labels``).
    model : TrainedFilter
        The model in use; its ``cv_metrics['cv_precision_at_threshold']`` is the expected rate.
    thresholds : DecayThresholds
        Margin, test level and fewest resolved entries.

    Returns
    -------
    DecayReport or None
        None when the model has no usable CV precision (NaN, 0 or 1: nothing to compare with).
    """
    expected = float(model.cv_metrics.get("cv_precision_at_threshold", np.nan))
    if not np.isfinite(expected) or not 0.0 < expected < 1.0:
        return None
    table = signals.set_index(["date", "pair_id"])
    accepted = table["entry_zone"].astype(bool) & table["ml_accept"].astype(bool)
    as_of = pd.Timestamp(table.index.get_level_values("date").max())
    return performance_decay(accepted, labels, pd.Timestamp(model.cutoff), expected, as_of, thresholds)
