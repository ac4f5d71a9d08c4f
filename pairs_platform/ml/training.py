"""Training of the entry filter: a scikit-learn classifier of z-score entry candidates.

``train_entry_filter`` learns P(label = 1 | features) on candidates whose label was known before
``cutoff`` (label end date < cutoff), scores it with purged, embargoed time-series CV
(``pairs_platform.ml.cv``), refits on all those samples, and returns a ``TrainedFilter`` holding
the fitted Pipeline (median imputation, scaling, classifier), the acceptance threshold and the
feature list. Nothing dated on or after ``cutoff`` influences it. Docs: docs/ml.md.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from pairs_platform.ml.cv import PurgedTimeSeriesSplit

__all__ = ["MODEL_DEFAULTS", "PurgedTimeSeriesSplit", "TrainedFilter", "make_pipeline", "model_matrix",
           "train_entry_filter"]

# Fitted pipelines are saved with skops (MLflow 3 and the asset store), which refuses types not on an allow-list. These
# are the reviewed types our own pipelines need (numpy dtypes and sklearn's fitted tree storage).
SKOPS_TRUSTED_TYPES = {
    "logistic": ["numpy.dtype"],
    "gradient_boosting": ["numpy.dtype", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"],
    "random_forest": ["numpy.dtype", "sklearn.tree._tree.Tree"],
}

MODEL_DEFAULTS: dict[str, dict] = {
    "gradient_boosting": {"max_iter": 200, "learning_rate": 0.05, "max_leaf_nodes": 15,
                          "min_samples_leaf": 20, "l2_regularization": 1.0},
    "logistic": {"C": 1.0, "max_iter": 1000},
    "random_forest": {"n_estimators": 200, "min_samples_leaf": 20, "max_features": "sqrt"},
}


def make_pipeline(model: str, seed: int = 0, params: dict | None = None) -> Pipeline:
    """Imputer + scaler + classifier named ``model`` (a key of ``MODEL_DEFAULTS``)."""
    if model not in MODEL_DEFAULTS:
        raise ValueError(f"unknown entry-filter model {model!r}; choose one of {sorted(MODEL_DEFAULTS)}")
    settings = {**MODEL_DEFAULTS[model], **(params or {})}
    if model == "gradient_boosting":
        estimator = HistGradientBoostingClassifier(early_stopping=False, random_state=seed, **settings)
    elif model == "random_forest":
        estimator = RandomForestClassifier(n_jobs=1, random_state=seed, **settings)
    else:
        estimator = LogisticRegression(**settings)
    return Pipeline([("impute", SimpleImputer(strategy="median", keep_empty_features=True)),
                     ("scale", StandardScaler()), ("model", estimator)])


def model_matrix(features: pd.DataFrame) -> pd.DataFrame:
    """float64 copy of ``features`` with +-inf as NaN (e.g. an infinite half-life): imputed as missing."""
    matrix = features.astype(np.float64)
    return matrix.where(np.isfinite(matrix.to_numpy()), np.nan)


@dataclass
class TrainedFilter:
    """A fitted entry filter: ``predict_proba`` gives P(reversion) and ``accepts`` applies the threshold.

    Attributes:
        pipeline: fitted scikit-learn Pipeline (``predict_proba`` column 1 = P(label 1)).
        threshold: entries are accepted where P(reversion) >= threshold.
        feature_names: feature columns, in the order the pipeline expects.
        cutoff: only labels known strictly before this date were used.
        model: model family (``MODEL_DEFAULTS`` key); params: everything needed to reproduce it.
        cv_metrics: purged-CV metrics (see ``train_entry_filter``).
        n_threads: OpenMP/BLAS threads for prediction (1 avoids oversubscription on shared hosts).
    """

    pipeline: Pipeline
    threshold: float
    feature_names: tuple[str, ...]
    cutoff: pd.Timestamp
    model: str
    params: dict = field(default_factory=dict)
    cv_metrics: dict = field(default_factory=dict)
    n_threads: int | None = 1

    def matrix(self, features: pd.DataFrame) -> pd.DataFrame:
        """The model's input matrix: the trained feature columns of ``features``, in training order.

        Parameters
        ----------
        features : pd.DataFrame
            Feature rows (from :func:`pairs_platform.ml.features.build_features`).

        Returns
        -------
        pd.DataFrame
            The columns of ``feature_names``, encoded by :func:`model_matrix`.

        Raises
        ------
        KeyError
            If a trained feature column is missing.
        """
        missing = [c for c in self.feature_names if c not in features.columns]
        if missing:
            raise KeyError(f"features lack columns {missing} the entry filter was trained on; "
                           "build them with pairs_platform.ml.features.build_features")
        return model_matrix(features.loc[:, list(self.feature_names)])

    def predict_proba(self, features: pd.DataFrame) -> pd.Series:
        """P(reversion) for every row of ``features`` (same index), named ``proba``."""
        if len(features) == 0:
            return pd.Series(np.zeros(0), index=features.index, name="proba")
        with threadpool_limits(limits=self.n_threads):
            proba = self.pipeline.predict_proba(self.matrix(features))[:, 1]
        return pd.Series(proba, index=features.index, name="proba")

    def accepts(self, features: pd.DataFrame) -> pd.Series:
        """True where P(reversion) >= threshold."""
        return (self.predict_proba(features) >= self.threshold).rename("accept")


def training_set(features: pd.DataFrame, labels: pd.Series, label_end_dates: pd.Series,
                  cutoff: pd.Timestamp) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Rows with a resolved label known before ``cutoff``, sorted by (date, pair_id)."""
    if not labels.index.equals(label_end_dates.index):
        raise ValueError("labels and label_end_dates must share one (date, pair_id) index; take both "
                         "from EntryLabels.to_frame")
    end = pd.to_datetime(label_end_dates)
    keep = labels.notna() & end.notna() & (end < cutoff)
    index = labels.index[keep.to_numpy()]
    missing = index.difference(features.index)
    if len(missing):
        raise KeyError(f"{len(missing)} labelled samples have no feature row, first {missing[0]}; "
                       "build labels and features from the same prices and schedule")
    order = index.sort_values()
    X = model_matrix(features.loc[order])
    y = labels.loc[order].to_numpy(dtype=np.float64)
    if not np.isin(y, (0.0, 1.0)).all():
        raise ValueError("labels must be 0, 1 or NaN (unresolved)")
    return X, y.astype(np.int64), pd.to_datetime(end.loc[order]).to_numpy()


def _cv_predictions(pipeline: Pipeline, X: pd.DataFrame, y: np.ndarray, end: np.ndarray,
                    splitter: PurgedTimeSeriesSplit, threshold: float | None) -> dict:
    """Purged-CV metrics: mean fold ROC AUC and log loss, pooled precision/acceptance at threshold."""
    start = X.index.get_level_values("date")
    aucs, losses, accepted, hits, n_test, positives, folds = [], [], 0, 0, 0, 0, 0
    for train, test in splitter.split(start, end):
        if len(np.unique(y[train])) < 2 or len(test) == 0:
            continue
        model = clone(pipeline).fit(X.iloc[train], y[train])
        proba = model.predict_proba(X.iloc[test])[:, 1]
        cut = y[train].mean() if threshold is None else threshold
        folds += 1
        losses.append(log_loss(y[test], proba, labels=[0, 1]))
        if len(np.unique(y[test])) == 2:
            aucs.append(roc_auc_score(y[test], proba))
        take = proba >= cut
        accepted, hits = accepted + int(take.sum()), hits + int(y[test][take].sum())
        n_test, positives = n_test + len(test), positives + int(y[test].sum())
    nan = float("nan")
    return {"cv_roc_auc": float(np.mean(aucs)) if aucs else nan,
            "cv_log_loss": float(np.mean(losses)) if losses else nan,
            "cv_precision_at_threshold": hits / accepted if accepted else nan,
            "cv_acceptance_rate": accepted / n_test if n_test else nan,
            "cv_base_rate": positives / n_test if n_test else nan,
            "cv_folds_scored": float(folds)}


def train_entry_filter(features: pd.DataFrame, labels: pd.Series, label_end_dates: pd.Series,
                       cutoff: pd.Timestamp, model: str = "gradient_boosting", seed: int = 0, *,
                       n_splits: int = 5, embargo_days: int = 10, threshold: float | None = None,
                       model_params: dict | None = None, min_samples: int = 50,
                       n_threads: int | None = 1) -> TrainedFilter:
    """Trains the entry filter on candidates whose label end date is strictly before ``cutoff``.

    Args:
        features: ``build_features`` table (index ``(date, pair_id)``); all columns are used.
        labels, label_end_dates: Series on the candidates' ``(date, pair_id)`` index, e.g. the
            ``label`` and ``label_end`` columns of ``EntryLabels.to_frame``; NaN labels are skipped.
        cutoff: samples whose label end is on/after it are ignored (changing them changes nothing).
        model: ``"gradient_boosting"`` | ``"logistic"`` | ``"random_forest"``.
        threshold: acceptance threshold on P(reversion); None = the training base rate (accept
            entries the model rates better than an average candidate).
        model_params: overrides of ``MODEL_DEFAULTS[model]``.
        n_threads: OpenMP/BLAS threads while fitting and predicting; the default 1 is fastest for
            the few thousand candidates a daily run sees (gradient boosting's OpenMP threads
            thrash on a busy 2-core host); None = library default.

    Returns:
        ``TrainedFilter`` with ``cv_metrics``: ``cv_roc_auc``, ``cv_log_loss``,
        ``cv_precision_at_threshold``, ``cv_acceptance_rate``, ``cv_base_rate``,
        ``cv_folds_scored``, ``train_base_rate``, ``n_train``.
    """
    cutoff = pd.Timestamp(cutoff)
    X, y, end = training_set(features, labels, label_end_dates, cutoff)
    if len(y) < min_samples or len(np.unique(y)) < 2:
        raise ValueError(f"entry filter needs >= {min_samples} resolved candidates of both classes with "
                         f"labels known before cutoff {cutoff.date()}, got {len(y)} "
                         f"({int(y.sum())} positive); move the cutoff later or widen the history")
    pipeline = make_pipeline(model, seed, model_params)
    splitter = PurgedTimeSeriesSplit(n_splits=n_splits, embargo_days=embargo_days)
    with threadpool_limits(limits=n_threads):
        metrics = _cv_predictions(pipeline, X, y, end, splitter, threshold)
        fitted = clone(pipeline).fit(X, y)
    metrics.update(train_base_rate=float(y.mean()), n_train=float(len(y)))
    dates = X.index.get_level_values("date")
    params = {"model": model, "seed": seed, "n_splits": n_splits, "embargo_days": embargo_days,
              "cutoff": str(cutoff.date()), "train_start": str(dates.min().date()),
              "train_end": str(dates.max().date()), **{f"model__{k}": v for k, v in
                                                        pipeline.named_steps["model"].get_params().items()}}
    return TrainedFilter(pipeline=fitted, threshold=float(y.mean() if threshold is None else threshold),
                         feature_names=tuple(X.columns), cutoff=cutoff, model=model, params=params,
                         cv_metrics=metrics, n_threads=n_threads)
