"""The one MLflow store helper: get-or-create the experiment, keep only finite metrics, refuse bad names."""
import math

import numpy as np
import pytest

from pairs_platform.identifiers import InvalidIdentifier
from pairs_platform.tracking import TrackingStore, ensure_experiment, finite_metrics


def test_experiment_is_created_once_with_artifacts_beside_the_store(tmp_path):
    import mlflow

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    first = ensure_experiment(uri, "exp one")
    assert ensure_experiment(uri, "exp one") == first
    mlflow.set_tracking_uri(uri)
    assert mlflow.get_experiment(first).artifact_location == (tmp_path / "artifacts").as_uri()


def test_only_finite_numbers_are_metrics():
    kept = finite_metrics({"a": 1, "b": np.float64(2.5), "c": math.nan, "d": math.inf, "e": "text", "f": None,
                           "g": np.int64(3)})
    assert kept == {"a": 1.0, "b": 2.5, "g": 3.0}


def test_experiment_names_reaching_the_store_are_validated(tmp_path):
    with pytest.raises(InvalidIdentifier, match="MLflow experiment"):
        TrackingStore(f"sqlite:///{tmp_path / 'mlflow.db'}", "../escape")
