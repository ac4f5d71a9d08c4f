"""Walk-forward retraining of the entry filter: each model is used only after its cutoff.

A model trained with cutoff ``c`` (labels known strictly before ``c``) scores the entries of
``[c, next cutoff)``. Segments with too few resolved labels get no model, and their entries are
left unfiltered (probability NaN, marked ``unfiltered``), never scored by a model that saw them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pairs_platform.ml.training import TrainedFilter, train_entry_filter


@dataclass
class FilterSegment:
    """One walk-forward model and the dates it scores: ``[start, end)``."""

    start: pd.Timestamp
    end: pd.Timestamp
    model: TrainedFilter | None
    n_train: int


def retrain_cutoffs(first: pd.Timestamp, last: pd.Timestamp, every_days: int,
                    calendar: pd.DatetimeIndex) -> list[pd.Timestamp]:
    """Cutoffs every ``every_days`` sessions of ``calendar`` from ``first`` through ``last``."""
    sessions = calendar[(calendar >= first) & (calendar <= last)]
    return list(sessions[::every_days]) if len(sessions) else []


def schedule_retrain_cutoffs(schedule: pd.DataFrame, calendar: pd.DatetimeIndex,
                             every_days: int) -> list[pd.Timestamp]:
    """Retrain cutoffs of a pair schedule: every ``every_days`` sessions of ``calendar`` from the
    first ``trade_start`` through the last session (the entry filter's and the regime models')."""
    if not len(schedule):
        return []
    return retrain_cutoffs(pd.Timestamp(schedule["trade_start"].min()), calendar[-1], every_days, calendar)


def train_walk_forward(features: pd.DataFrame, labels: pd.DataFrame, cutoffs: list[pd.Timestamp],
                       model: str = "gradient_boosting", min_samples: int = 60,
                       threshold: float | None = None, seed: int = 0) -> list[FilterSegment]:
    """One model per cutoff; ``labels`` is ``EntryLabels.to_frame`` (label, label_end columns)."""
    resolved = labels.dropna(subset=["label"])
    segments = []
    bounds = list(cutoffs) + [pd.Timestamp.max]
    for start, end in zip(bounds[:-1], bounds[1:]):
        n_train = int((resolved["label_end"] < start).sum())
        trained = None
        if n_train >= min_samples and resolved.loc[resolved["label_end"] < start, "label"].nunique() == 2:
            trained = train_entry_filter(features, labels["label"], labels["label_end"], cutoff=start,
                                         model=model, seed=seed, min_samples=min_samples, threshold=threshold)
        segments.append(FilterSegment(pd.Timestamp(start), pd.Timestamp(end), trained, n_train))
    return segments


def predict_walk_forward(segments: list[FilterSegment], features: pd.DataFrame) -> pd.DataFrame:
    """P(reversion) and acceptance of every feature row, each by the model of its own segment.

    Returns a frame on ``features.index`` with ``proba`` (NaN where unfiltered), ``accept``
    (True where the segment's model accepts, or where there is no model) and ``unfiltered``.
    """
    dates = features.index.get_level_values("date")
    out = pd.DataFrame({"proba": np.nan, "accept": True, "unfiltered": True}, index=features.index)
    for segment in segments:
        rows = (dates >= segment.start) & (dates < segment.end)
        if segment.model is None or not rows.any():
            continue
        proba = segment.model.predict_proba(features.loc[rows])
        out.loc[rows, "proba"] = proba.to_numpy()
        out.loc[rows, "accept"] = (proba >= segment.model.threshold).to_numpy()
        out.loc[rows, "unfiltered"] = False
    return out
