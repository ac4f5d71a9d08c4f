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


def test_experiments_open_on_training_runs_not_the_traces_overview(tmp_path):
    from mlflow import MlflowClient

    from pairs_platform.tracking.store import EXPERIMENT_KIND, EXPERIMENT_KIND_TAG

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    older = client.create_experiment("older", artifact_location=(tmp_path / "a").as_uri())  # made without the tag
    assert ensure_experiment(uri, "older") == older
    for experiment_id in (older, ensure_experiment(uri, "new one")):
        assert client.get_experiment(experiment_id).tags[EXPERIMENT_KIND_TAG] == EXPERIMENT_KIND


def test_a_backtest_run_records_its_full_configuration_dates_sources_and_dagster_run(tmp_path):
    import dataclasses

    from mlflow import MlflowClient

    from pairs_platform.strategy import StrategyConfig
    from pairs_platform.tracking.backtest import BacktestProvenance, log_backtest_run

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    config = StrategyConfig()
    provenance = BacktestProvenance(strategy=dataclasses.asdict(config), first_date="2018-01-02",
                                    last_date="2022-12-28", sources={"equity": "bundled", "crypto": "synthetic"},
                                    dagster_run_id="abc-123")
    run_id = log_backtest_run(TrackingStore(uri, "bt"), config.strategy_id, config.params().to_dict(),
                              {"sharpe": 1.0}, provenance=provenance)
    run = MlflowClient(uri).get_run(run_id)
    assert {f"strategy.{f.name}" for f in dataclasses.fields(config)} <= set(run.data.params)
    assert run.data.params["strategy.strategy_id"] == config.strategy_id
    tags = run.data.tags
    assert (tags["pairs_platform.first_date"], tags["pairs_platform.last_date"]) == ("2018-01-02", "2022-12-28")
    assert tags["pairs_platform.source.equity"] == "bundled" and tags["dagster.run_id"] == "abc-123"
