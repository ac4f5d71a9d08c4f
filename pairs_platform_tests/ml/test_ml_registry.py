"""MLflow round trip on a local SQLite store: log, register, alias, load by alias, same predictions."""
import json

import mlflow
import numpy as np
import pandas as pd
import pytest

from pairs_platform.tracking.models import load_filter_from_mlflow, log_filter_to_mlflow
from pairs_platform.ml.training import train_entry_filter

NAME = "pairs_entry_filter_test"


@pytest.fixture(scope="module")
def store(tmp_path_factory, samples):
    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    trained = train_entry_filter(samples.features, samples.labels, samples.label_end, pd.Timestamp("2020-10-01"),
                                 model="gradient_boosting", model_params={"max_iter": 30})
    before = mlflow.get_tracking_uri()
    first = log_filter_to_mlflow(trained, uri, "entry_filter_test", NAME, samples.features.head(20))
    assert mlflow.get_tracking_uri() == before  # the global tracking URI is restored
    return root, uri, trained, first


def test_logged_registered_and_aliased(store, samples):
    root, uri, trained, info = store
    assert info["version"] == 1 and info["model_uri"].startswith("models:/")
    client = mlflow.MlflowClient(tracking_uri=uri)
    version = client.get_model_version_by_alias(NAME, "champion")
    assert int(version.version) == 1 and version.run_id == info["run_id"]
    assert json.loads(version.tags["feature_names"]) == list(trained.feature_names)
    run = client.get_run(info["run_id"])
    assert float(run.data.params["threshold"]) == pytest.approx(trained.threshold)
    assert run.data.metrics["cv_roc_auc"] == pytest.approx(trained.cv_metrics["cv_roc_auc"])
    assert (root / "artifacts").is_dir()  # artifacts beside the database, not in the cwd


def test_load_by_alias_gives_identical_predictions(store, samples):
    _, uri, trained, _ = store
    mlflow.set_tracking_uri(uri)
    try:
        sk_model = mlflow.sklearn.load_model(f"models:/{NAME}@champion")
        pyfunc = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
        signature_inputs = pyfunc.metadata.get_input_schema().input_names()
    finally:
        mlflow.set_tracking_uri(None)
    x = samples.features.loc[:, list(trained.feature_names)]
    expected = trained.predict_proba(samples.features).to_numpy()
    np.testing.assert_array_equal(sk_model.predict_proba(x)[:, 1], expected)
    np.testing.assert_allclose(np.asarray(pyfunc.predict(x))[:, 1], expected)
    assert signature_inputs == list(trained.feature_names)
    loaded = load_filter_from_mlflow(uri, NAME)
    assert loaded.threshold == trained.threshold and loaded.cutoff == trained.cutoff
    np.testing.assert_array_equal(loaded.predict_proba(samples.features), expected)


def test_new_version_moves_the_alias(store, samples):
    _, uri, _, _ = store
    retrained = train_entry_filter(samples.features, samples.labels, samples.label_end,
                                   pd.Timestamp("2020-11-02"), model="logistic")
    info = log_filter_to_mlflow(retrained, uri, "entry_filter_test", NAME, samples.features.head(5))
    assert info["version"] == 2
    loaded = load_filter_from_mlflow(uri, NAME, alias="champion")
    assert loaded.model == "logistic" and loaded.cutoff == pd.Timestamp("2020-11-02")
