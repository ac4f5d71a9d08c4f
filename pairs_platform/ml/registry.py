"""MLflow logging, registration and loading of trained entry filters (MLflow 3 API).

``log_filter_to_mlflow`` opens one run in ``experiment``, logs the filter's params and CV
metrics, logs the scikit-learn pipeline with an inferred signature (input: the feature columns;
output: ``predict_proba``), registers it as a new version of ``registered_name`` and points
``alias`` (default ``champion``) at that version. The version also carries tags ``threshold``,
``feature_names`` and ``cutoff``, so ``load_filter_from_mlflow`` can rebuild a ``TrainedFilter``
from the registry alone. The model registry needs a database-backed tracking store
(``sqlite:///...``, ``postgresql://...``); MLflow 3 no longer supports the file store by default.

The tracking URI is set for the duration of a call and restored afterwards.
"""
from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from pairs_platform.ml.training import TrainedFilter

DEFAULT_ALIAS = "champion"
# MLflow 3 saves scikit-learn models with skops, which refuses types not on an allow-list. These
# are the reviewed types our own pipelines need (numpy dtypes and sklearn's fitted tree storage).
SKOPS_TRUSTED_TYPES = {
    "logistic": ["numpy.dtype"],
    "gradient_boosting": ["numpy.dtype", "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"],
    "random_forest": ["numpy.dtype", "sklearn.tree._tree.Tree"],
}


@contextmanager
def _tracking(uri: str):
    """Points the fluent MLflow API at ``uri``, then restores the previous setting."""
    import mlflow

    previous = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    try:
        yield mlflow
    finally:
        mlflow.set_tracking_uri(previous)


def _default_artifact_location(tracking_uri: str) -> str | None:
    """``<db folder>/artifacts`` for a local SQLite store (else the server's default)."""
    parsed = urlparse(tracking_uri)
    if parsed.scheme != "sqlite" or not parsed.path or parsed.path == "/:memory:":
        return None
    return (Path(parsed.path).parent / "artifacts").resolve().as_uri()


def _experiment_id(mlflow, experiment: str, artifact_location: str | None) -> str:
    found = mlflow.get_experiment_by_name(experiment)
    if found is not None:
        return found.experiment_id
    return mlflow.create_experiment(experiment, artifact_location=artifact_location)


def _pip_requirements() -> list[str]:
    """Pinned runtime requirements of the logged model (skips MLflow's slow inference of them)."""
    import sklearn
    import skops

    return [f"scikit-learn=={sklearn.__version__}", f"skops=={skops.__version__}",
            f"numpy=={np.__version__}", f"pandas=={pd.__version__}"]


def _finite_metrics(metrics: dict) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items() if np.isfinite(float(v))}


def log_filter_to_mlflow(trained: TrainedFilter, tracking_uri: str, experiment: str,
                         registered_name: str, input_example: pd.DataFrame,
                         alias: str = DEFAULT_ALIAS, artifact_location: str | None = None) -> dict:
    """Logs, registers and aliases ``trained``; returns ``run_id``, ``model_uri``, ``version``.

    Args:
        trained: output of ``train_entry_filter``.
        tracking_uri: a database-backed MLflow store, e.g. ``sqlite:////abs/path/mlflow.db``.
        experiment: experiment name (created if missing, with ``artifact_location``, by default
            ``<db folder>/artifacts`` for SQLite).
        registered_name: model registry name, e.g. ``pairs_entry_filter``.
        input_example: a few feature rows (used for the signature and stored with the model).
        alias: registry alias pointed at the new version.

    Returns:
        ``{"run_id", "model_uri" (the logged model, models:/m-...), "version" (int),
        "registered_model_uri" (models:/<name>@<alias>), "name", "alias"}``.
    """
    from mlflow import MlflowClient
    from mlflow.models import infer_signature

    example = trained._matrix(input_example).head(5)
    signature = infer_signature(example, trained.pipeline.predict_proba(example))
    with _tracking(tracking_uri) as mlflow:
        location = artifact_location or _default_artifact_location(tracking_uri)
        experiment_id = _experiment_id(mlflow, experiment, location)
        with mlflow.start_run(experiment_id=experiment_id,
                              run_name=f"entry_filter_{trained.model}_{trained.cutoff.date()}") as run:
            mlflow.log_params({"threshold": trained.threshold, "n_features": len(trained.feature_names),
                               **trained.params})
            mlflow.log_metrics(_finite_metrics(trained.cv_metrics))
            mlflow.set_tags({"pairs_platform.component": "entry_filter",
                             "feature_names": json.dumps(list(trained.feature_names))})
            info = mlflow.sklearn.log_model(
                trained.pipeline, name="entry_filter", signature=signature, input_example=example,
                pip_requirements=_pip_requirements(), pyfunc_predict_fn="predict_proba",
                serialization_format="skops", skops_trusted_types=SKOPS_TRUSTED_TYPES[trained.model],
                registered_model_name=registered_name)
        version = str(info.registered_model_version)
        client = MlflowClient(tracking_uri=tracking_uri)
        for key, value in (("threshold", repr(trained.threshold)), ("cutoff", str(trained.cutoff.date())),
                           ("model", trained.model),
                           ("feature_names", json.dumps(list(trained.feature_names)))):
            client.set_model_version_tag(registered_name, version, key, value)
        client.set_registered_model_alias(registered_name, alias, version)
    return {"run_id": run.info.run_id, "model_uri": info.model_uri, "version": int(version),
            "registered_model_uri": f"models:/{registered_name}@{alias}", "name": registered_name,
            "alias": alias}


def load_filter_from_mlflow(tracking_uri: str, registered_name: str,
                            alias: str = DEFAULT_ALIAS) -> TrainedFilter:
    """Rebuilds the ``TrainedFilter`` that ``alias`` of ``registered_name`` points at."""
    from mlflow import MlflowClient

    version = MlflowClient(tracking_uri=tracking_uri).get_model_version_by_alias(registered_name, alias)
    return load_filter_version(tracking_uri, registered_name, int(version.version))


def load_filter_version(tracking_uri: str, registered_name: str, version: int) -> TrainedFilter:
    """Rebuilds the ``TrainedFilter`` of version ``version`` of ``registered_name``."""
    from mlflow import MlflowClient

    with _tracking(tracking_uri) as mlflow:
        client = MlflowClient(tracking_uri=tracking_uri)
        found = client.get_model_version(registered_name, str(version))
        pipeline = mlflow.sklearn.load_model(f"models:/{registered_name}/{version}")
        run = client.get_run(found.run_id)
    tags = found.tags
    return TrainedFilter(pipeline=pipeline, threshold=float(tags["threshold"]),
                         feature_names=tuple(json.loads(tags["feature_names"])),
                         cutoff=pd.Timestamp(tags["cutoff"]), model=tags["model"],
                         params=dict(run.data.params), cv_metrics=dict(run.data.metrics))
