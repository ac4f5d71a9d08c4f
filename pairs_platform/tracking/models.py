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

import numpy as np
import pandas as pd

from pairs_platform.identifiers import validate_name
from pairs_platform.ml.training import SKOPS_TRUSTED_TYPES, TrainedFilter
from pairs_platform.tracking.store import ensure_experiment, finite_metrics, using_store

DEFAULT_ALIAS = "champion"
ENTRY_FILTER_MODEL = "pairs_entry_filter"  # registry name of the entry filter (MLflowResource, desk API)
#: What the registered model is, shown on its page in the MLflow model registry.
REGISTERED_MODEL_DESCRIPTION = (
    "Entry filter of the pairs-trading strategy: a scikit-learn pipeline that scores each candidate "
    "spread entry (features: z-score, half-life, spread volatility, regime, ...) with the probability "
    "that the trade ends profitable; entries scoring below the version's 'threshold' tag are skipped. "
    "Trained walk-forward by pairs_platform (Dagster asset signal_model) on data up to the version's "
    "'cutoff' tag; the alias 'champion' is the version the pipeline trades with. Load it with "
    "pairs_platform.tracking.load_filter_from_mlflow (skops format, trusted types only).")


def _pip_requirements() -> list[str]:
    """Pinned runtime requirements of the logged model (skips MLflow's slow inference of them)."""
    import sklearn
    import skops

    return [f"scikit-learn=={sklearn.__version__}", f"skops=={skops.__version__}",
            f"numpy=={np.__version__}", f"pandas=={pd.__version__}"]


def log_filter_to_mlflow(trained: TrainedFilter, tracking_uri: str, experiment: str,
                         registered_name: str, input_example: pd.DataFrame,
                         alias: str = DEFAULT_ALIAS, artifact_location: str | None = None) -> dict:
    """Log, register and alias an entry filter.

    Parameters
    ----------
    trained : TrainedFilter
        Output of ``train_entry_filter``.
    tracking_uri : str
        A database-backed MLflow store, e.g. ``sqlite:////abs/path/mlflow.db``.
    experiment : str
        Experiment name (created if missing, with ``artifact_location``, by default
        ``<db folder>/artifacts`` for SQLite).
    registered_name : str
        Model registry name, e.g. ``pairs_entry_filter`` (checked with ``validate_name``).
    input_example : pd.DataFrame
        A few feature rows (used for the signature and stored with the model).
    alias : str, default 'champion'
        Registry alias pointed at the new version.
    artifact_location : str, optional
        Artifact root used when the experiment is created.

    Returns
    -------
    dict
        ``run_id``, ``model_uri`` (the logged model, models:/m-...), ``version`` (int),
        ``registered_model_uri`` (models:/<name>@<alias>), ``name``, ``alias``.
    """
    validate_name(registered_name, "registered model")
    from mlflow import MlflowClient

    with using_store(tracking_uri) as mlflow:
        experiment_id = ensure_experiment(tracking_uri, experiment, artifact_location)
        run, info = _log_run(mlflow, trained, experiment_id, registered_name, input_example)
        version = str(info.registered_model_version)
        _describe_version(tracking_uri, registered_name, version, trained)  # described before it is aliased
        MlflowClient(tracking_uri=tracking_uri).set_registered_model_alias(registered_name, alias, version)
    return {"run_id": run.info.run_id, "model_uri": info.model_uri, "version": int(version),
            "registered_model_uri": f"models:/{registered_name}@{alias}", "name": registered_name,
            "alias": alias}


def _log_run(mlflow, trained: TrainedFilter, experiment_id: str, registered_name: str,
             input_example: pd.DataFrame):
    """One MLflow run: the filter's params, CV metrics, tags and the skops model, registered."""
    from mlflow.models import infer_signature

    example = trained.matrix(input_example).head(5)
    signature = infer_signature(example, trained.pipeline.predict_proba(example))
    with mlflow.start_run(experiment_id=experiment_id,
                          run_name=f"entry_filter_{trained.model}_{trained.cutoff.date()}") as run:
        mlflow.log_params({"threshold": trained.threshold, "n_features": len(trained.feature_names),
                           **trained.params})
        mlflow.log_metrics(finite_metrics(trained.cv_metrics))
        mlflow.set_tags({"pairs_platform.component": "entry_filter",
                         "feature_names": json.dumps(list(trained.feature_names))})
        info = mlflow.sklearn.log_model(
            trained.pipeline, name="entry_filter", signature=signature, input_example=example,
            pip_requirements=_pip_requirements(), pyfunc_predict_fn="predict_proba",
            serialization_format="skops", skops_trusted_types=SKOPS_TRUSTED_TYPES[trained.model],
            registered_model_name=registered_name)
    return run, info


def _describe_version(tracking_uri: str, registered_name: str, version: str, trained: TrainedFilter) -> None:
    """The version's tags (threshold, cutoff, model, features) and the model's and version's descriptions."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    for key, value in (("threshold", repr(trained.threshold)), ("cutoff", str(trained.cutoff.date())),
                       ("model", trained.model), ("feature_names", json.dumps(list(trained.feature_names)))):
        client.set_model_version_tag(registered_name, version, key, value)
    client.update_registered_model(registered_name, description=REGISTERED_MODEL_DESCRIPTION)
    client.update_model_version(registered_name, version, description=(
        f"{trained.model} entry filter trained on data up to {trained.cutoff.date()}, threshold "
        f"{trained.threshold:.4g}, {len(trained.feature_names)} features."))


def load_filter_from_mlflow(tracking_uri: str, registered_name: str,
                            alias: str = DEFAULT_ALIAS) -> TrainedFilter:
    """Rebuild the ``TrainedFilter`` that ``alias`` of ``registered_name`` points at.

    Parameters
    ----------
    tracking_uri : str
        The MLflow store holding the registry.
    registered_name : str
        Model registry name.
    alias : str, default 'champion'
        Registry alias to load.

    Returns
    -------
    TrainedFilter
        Pipeline, threshold, feature names, cutoff, params and CV metrics of that version.
    """
    from mlflow import MlflowClient

    version = MlflowClient(tracking_uri=tracking_uri).get_model_version_by_alias(registered_name, alias)
    return load_filter_version(tracking_uri, registered_name, int(version.version))


def load_filter_version(tracking_uri: str, registered_name: str, version: int) -> TrainedFilter:
    """Rebuilds the ``TrainedFilter`` of version ``version`` of ``registered_name``."""
    from mlflow import MlflowClient

    with using_store(tracking_uri) as mlflow:
        client = MlflowClient(tracking_uri=tracking_uri)
        found = client.get_model_version(registered_name, str(version))
        pipeline = mlflow.sklearn.load_model(f"models:/{registered_name}/{version}")
        run = client.get_run(found.run_id)
    tags = found.tags
    return TrainedFilter(pipeline=pipeline, threshold=float(tags["threshold"]),
                         feature_names=tuple(json.loads(tags["feature_names"])),
                         cutoff=pd.Timestamp(tags["cutoff"]), model=tags["model"],
                         params=dict(run.data.params), cv_metrics=dict(run.data.metrics))
