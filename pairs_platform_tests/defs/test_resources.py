"""Resources that talk to stores: MLflow runs land in our experiment, even on a fresh store."""
from pairs_platform.defs.shared.resources import MLflowResource


def test_activate_makes_a_new_experiment_the_active_one(tmp_path):
    import mlflow

    resource = MLflowResource(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}", experiment="fresh")
    experiment_id = resource.activate()
    with mlflow.start_run() as run:
        pass
    assert run.info.experiment_id == experiment_id
    assert mlflow.get_experiment(experiment_id).name == "fresh"
    assert mlflow.get_experiment(experiment_id).artifact_location == (tmp_path / "artifacts").as_uri()
    assert resource.activate() == experiment_id  # idempotent: the second call reuses it
