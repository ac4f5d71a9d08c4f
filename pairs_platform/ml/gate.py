"""Promotion gate of the entry filter: challenger vs champion on identical purged-CV folds + placebo.

Both models are compared as SPECIFICATIONS (model family, hyper-parameters, seed), each re-fitted on
the training part of the same purged, embargoed folds (``cv.PurgedTimeSeriesSplit``) of the same
feature/label data, the challenger's training set (labels known before its cutoff). We re-fit the
champion rather than score its registered pipeline because that pipeline was trained on most of
those folds: scored as-is it would be judged partly in-sample, and the comparison would favour
whichever model saw more of the test data.

A challenger must also beat a label-permutation placebo: its mean fold AUC is compared with the
AUCs of ``n_placebo`` copies of its own specification fitted to permuted labels (permutation
seeds ``placebo_seed + i``, recorded); ``p = (1 + #placebo >= challenger) / (n_placebo + 1)``.

Decision (``decide``):

- placebo p >= ``placebo_alpha``: rejected (no evidence the model learned anything);
- no champion: promoted;
- same specification as the champion (a refresh on newer data; its fold AUCs equal the
  champion's by construction): promoted when ``promote_refresh``;
- otherwise promoted only if challenger AUC >= champion AUC + ``auc_margin``.
Docs: docs/ml.md (Lifecycle).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

from pairs_platform.ml.cv import PurgedTimeSeriesSplit
from pairs_platform.ml.training import training_set, make_pipeline

__all__ = ["GateData", "GateEvaluation", "ModelSpec", "PromotionPolicy", "decide", "evaluate_gate"]


@dataclass(frozen=True)
class PromotionPolicy:
    """When a challenger replaces the champion.

    Attributes:
        auc_margin: challenger mean fold AUC must reach champion AUC + this.
        n_placebo: label-permutation placebo models (>= 20 and enough for p < placebo_alpha).
        placebo_alpha: the challenger must beat the placebo at p < this.
        placebo_seed: permutation ``i`` uses seed ``placebo_seed + i``.
        n_splits, embargo_days: the purged CV folds both models are scored on.
        promote_refresh: promote a challenger with the champion's specification (newer data).
    """

    auc_margin: float = 0.005
    n_placebo: int = 20
    placebo_alpha: float = 0.05
    placebo_seed: int = 1_000
    n_splits: int = 5
    embargo_days: int = 10
    promote_refresh: bool = True

    def __post_init__(self):
        if self.n_placebo < 20 or 1.0 / (self.n_placebo + 1) >= self.placebo_alpha:
            raise ValueError(f"PromotionPolicy.n_placebo={self.n_placebo} with placebo_alpha="
                             f"{self.placebo_alpha}: need >= 20 and 1/(n_placebo+1) < placebo_alpha; "
                             "raise n_placebo")


@dataclass(frozen=True)
class ModelSpec:
    """What is re-fitted on each fold: ``training.make_pipeline(model, seed, params)``."""

    model: str
    params: dict = field(default_factory=dict)
    seed: int = 0

    def pipeline(self):
        """Unfitted scikit-learn pipeline of this specification."""
        return make_pipeline(self.model, self.seed, self.params)


class GateData(NamedTuple):
    """The challenger's training data: ``build_features`` table, label and label-end Series, cutoff."""

    features: pd.DataFrame
    labels: pd.Series
    label_end: pd.Series
    cutoff: pd.Timestamp


@dataclass(frozen=True)
class GateEvaluation:
    """Fold AUCs of both specifications on identical folds, and the placebo distribution."""

    challenger_auc: float
    champion_auc: float
    placebo_aucs: tuple[float, ...]
    placebo_seeds: tuple[int, ...]
    placebo_p: float
    n_folds: int
    same_spec: bool


def _folds(X: pd.DataFrame, y: np.ndarray, end: np.ndarray, policy: PromotionPolicy) -> list:
    splitter = PurgedTimeSeriesSplit(n_splits=policy.n_splits, embargo_days=policy.embargo_days)
    folds = [(train, test) for train, test in splitter.split(X.index.get_level_values("date"), end)
             if len(np.unique(y[train])) == 2 and len(np.unique(y[test])) == 2]
    if not folds:
        raise ValueError("promotion gate: no purged-CV fold has both classes in its train and test "
                         "parts; add history or lower PromotionPolicy.n_splits")
    return folds


def mean_fold_auc(spec: ModelSpec, X: pd.DataFrame, y: np.ndarray, folds: list) -> float:
    """Mean ROC AUC of ``spec`` re-fitted on each fold's train part, scored on its test part."""
    aucs = []
    for train, test in folds:  # a handful of folds, not a per-sample loop
        if len(np.unique(y[train])) < 2 or len(np.unique(y[test])) < 2:
            continue
        proba = spec.pipeline().fit(X.iloc[train], y[train]).predict_proba(X.iloc[test])[:, 1]
        aucs.append(roc_auc_score(y[test], proba))
    return float(np.mean(aucs)) if aucs else float("nan")


def evaluate_gate(challenger: ModelSpec, champion: ModelSpec | None, data: GateData,
                  policy: PromotionPolicy = PromotionPolicy(), n_threads: int | None = 1) -> GateEvaluation:
    """Scores both specifications and the placebo on the same folds of ``data`` (module doc)."""
    X, y, end = training_set(data.features, data.labels, data.label_end, pd.Timestamp(data.cutoff))
    folds = _folds(X, y, end, policy)
    seeds = tuple(policy.placebo_seed + i for i in range(policy.n_placebo))
    with threadpool_limits(limits=n_threads):
        challenger_auc = mean_fold_auc(challenger, X, y, folds)
        same = champion == challenger
        champion_auc = (float("nan") if champion is None else
                        challenger_auc if same else mean_fold_auc(champion, X, y, folds))
        placebo = tuple(mean_fold_auc(challenger, X, np.random.default_rng(s).permutation(y), folds)
                        for s in seeds)
    scored = np.asarray([a for a in placebo if np.isfinite(a)])
    p_value = float((1 + np.sum(scored >= challenger_auc)) / (len(scored) + 1))
    return GateEvaluation(challenger_auc, champion_auc, placebo, seeds, p_value, len(folds), same)


def decide(evaluation: GateEvaluation, has_champion: bool, policy: PromotionPolicy) -> tuple[bool, str]:
    """(promote?, reason) from a gate evaluation (rules in the module doc)."""
    auc, p = evaluation.challenger_auc, evaluation.placebo_p
    if not np.isfinite(auc) or p >= policy.placebo_alpha:
        return False, (f"fails placebo: AUC {auc:.4f} vs {len(evaluation.placebo_aucs)} permuted-label "
                       f"models, p={p:.3f} >= {policy.placebo_alpha}")
    if not has_champion:
        return True, f"no champion yet; passes placebo (AUC {auc:.4f}, p={p:.3f})"
    if evaluation.same_spec:
        return policy.promote_refresh, (f"same specification as the champion refit on newer data; "
                                        f"passes placebo (AUC {auc:.4f}, p={p:.3f}); "
                                        f"promote_refresh={policy.promote_refresh}")
    need = evaluation.champion_auc + policy.auc_margin
    if auc >= need:
        return True, (f"beats champion: AUC {auc:.4f} >= {evaluation.champion_auc:.4f} + margin "
                      f"{policy.auc_margin} on {evaluation.n_folds} identical folds; placebo p={p:.3f}")
    return False, (f"does not beat champion: AUC {auc:.4f} < {evaluation.champion_auc:.4f} + margin "
                   f"{policy.auc_margin} on {evaluation.n_folds} identical folds")
