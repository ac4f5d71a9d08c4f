"""The MLflow tracking store: where runs go, the experiment they land in, what metrics are kept.

Every MLflow logger of the platform goes through :func:`ensure_experiment` (get or create, with our
artifact folder) and :func:`finite_metrics` (MLflow refuses NaN/inf and non-numbers), so the rules
live here once.
"""
from __future__ import annotations

import math
import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pairs_platform.identifiers import validate_name


def default_artifact_location(tracking_uri: str) -> str | None:
    """Artifact folder beside a local SQLite store, ``<db folder>/artifacts``.

    Parameters
    ----------
    tracking_uri : str
        An MLflow tracking URI, e.g. ``sqlite:////abs/path/mlflow.db``.

    Returns
    -------
    str or None
        A ``file://`` URI for a SQLite store; None (the server decides) for anything else.
    """
    path = tracking_uri.removeprefix("sqlite:///")
    if path == tracking_uri or path in ("", ":memory:"):
        return None
    return (Path(path).parent / "artifacts").resolve().as_uri()


#: MLflow 3 experiment tag that picks the experiment page's layout; without it the UI may open an
#: experiment on the GenAI (traces) overview. "custom_model_development" opens it on the training runs.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"


def ensure_experiment(tracking_uri: str, name: str, artifact_location: str | None = None) -> str:
    """Get or create the experiment ``name`` in the store at ``tracking_uri``.

    Parameters
    ----------
    tracking_uri : str
        The MLflow store.
    name : str
        Experiment name, checked with :func:`pairs_platform.identifiers.validate_name`.
    artifact_location : str, optional
        Used only when the experiment is created; default :func:`default_artifact_location`.

    Returns
    -------
    str
        The experiment id. The experiment carries ``mlflow.experimentKind`` =
        ``custom_model_development`` (set on creation, added to an older experiment), so the MLflow
        UI opens it on its training runs.
    """
    from mlflow import MlflowClient

    validate_name(name, "MLflow experiment")
    client = MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(name)
    if found is None:
        return client.create_experiment(name, tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND},
                                        artifact_location=artifact_location or default_artifact_location(tracking_uri))
    if EXPERIMENT_KIND_TAG not in found.tags:  # experiments made before the tag existed
        client.set_experiment_tag(found.experiment_id, EXPERIMENT_KIND_TAG, EXPERIMENT_KIND)
    return found.experiment_id


def finite_metrics(values: dict) -> dict[str, float]:
    """The entries of ``values`` that are finite numbers, as floats (MLflow refuses the others).

    Parameters
    ----------
    values : dict
        Metric name -> value of any type.

    Returns
    -------
    dict of str to float
        Only the values convertible to a finite float.
    """
    out = {}
    for key, value in values.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[key] = number
    return out


@contextmanager
def using_store(uri: str):
    """Point the fluent MLflow API at ``uri`` for the block, then restore the previous setting.

    Parameters
    ----------
    uri : str
        The MLflow store.

    Yields
    ------
    module
        The ``mlflow`` module.
    """
    import mlflow

    previous = os.environ.get("MLFLOW_TRACKING_URI")
    mlflow.set_tracking_uri(uri)
    try:
        yield mlflow
    finally:
        mlflow.set_tracking_uri(previous)


@dataclass(frozen=True)
class TrackingStore:
    """Where the platform's runs are tracked.

    Parameters
    ----------
    uri : str
        MLflow tracking URI (``sqlite:///...`` locally, ``http(s)://`` for a server).
    experiment : str
        Experiment every run lands in (validated with ``validate_name``).
    artifact_location : str, optional
        Artifact root used when the experiment is created (default: beside a SQLite store).
    """

    uri: str
    experiment: str
    artifact_location: str | None = None

    def __post_init__(self) -> None:
        validate_name(self.experiment, "MLflow experiment")

    def experiment_id(self) -> str:
        """Get or create the experiment; returns its id (see :func:`ensure_experiment`)."""
        return ensure_experiment(self.uri, self.experiment, self.artifact_location)

    def activate(self) -> str:
        """Point the fluent MLflow API at this store and experiment; returns the experiment id."""
        import mlflow

        experiment_id = self.experiment_id()
        mlflow.set_tracking_uri(self.uri)
        mlflow.set_experiment(experiment_id=experiment_id)
        return experiment_id
