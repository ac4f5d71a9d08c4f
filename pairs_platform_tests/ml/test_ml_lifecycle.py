"""Lifecycle on a local SQLite MLflow store: challenger -> gate -> champion, logging, load, rollback."""
import mlflow
import numpy as np
import pandas as pd
import pytest

from pairs_platform.ml.gate import GateData, PromotionPolicy
from pairs_platform.tracking.lifecycle import (CHALLENGER, CHAMPION, RegistryTarget, alias_version, load_champion,
                                         main, register_challenger, rollback, run_promotion_gate)
from pairs_platform.ml.training import train_entry_filter

NAME = "pairs_entry_filter_lifecycle"
CUTOFF = pd.Timestamp("2020-12-01")
STUMP = {"max_iter": 1, "max_leaf_nodes": 2}


def _retrain(samples, target, model, params=None):
    trained = train_entry_filter(samples.features, samples.labels, samples.label_end, CUTOFF, model=model,
                                 model_params=params)
    info = register_challenger(trained, target, "lifecycle_test", samples.features.head(5))
    result = run_promotion_gate(target, GateData(samples.features, samples.labels, samples.label_end, CUTOFF),
                                PromotionPolicy())
    return trained, info, result


@pytest.fixture(scope="module")
def history(tmp_path_factory, samples):
    """v1 weak stump (first, passes placebo), v2 logistic (beats v1), v3 stump again (rejected)."""
    uri = f"sqlite:///{tmp_path_factory.mktemp('lifecycle') / 'mlflow.db'}"
    target = RegistryTarget(uri, NAME)
    assert alias_version(target, CHAMPION) is None  # model does not exist yet
    steps = [_retrain(samples, target, "gradient_boosting", STUMP), _retrain(samples, target, "logistic"),
             _retrain(samples, target, "gradient_boosting", STUMP)]
    return target, steps


def test_first_passing_challenger_becomes_champion(history):
    _, steps = history
    _, info, result = steps[0]
    assert info["version"] == 1 and info["alias"] == CHALLENGER
    assert result.promoted and result.champion_version is None and result.reason.startswith("no champion yet")
    assert result.placebo_p < 0.05


def test_better_challenger_promoted_weaker_rejected(history):
    target, steps = history
    second, third = steps[1][2], steps[2][2]
    assert second.promoted and second.champion_version == 1 and second.challenger_auc > second.champion_auc
    assert not third.promoted and third.champion_version == 2 and "does not beat champion" in third.reason
    assert int(alias_version(target, CHAMPION).version) == 2
    assert int(alias_version(target, CHALLENGER).version) == 3  # rejected candidate stays inspectable


def test_decision_logged_on_run_and_model_version(history):
    target, steps = history
    client = mlflow.MlflowClient(tracking_uri=target.tracking_uri)
    info, result = steps[1][1], steps[1][2]
    run = client.get_run(info["run_id"])
    assert run.data.metrics["gate_challenger_auc"] == pytest.approx(result.challenger_auc)
    assert run.data.metrics["gate_champion_auc"] == pytest.approx(result.champion_auc)
    assert run.data.metrics["gate_promoted"] == 1.0 and run.data.tags["gate_decision"] == "promoted"
    version = client.get_model_version(NAME, "2")
    assert version.tags["gate_reason"] == result.reason and version.tags["previous_champion"] == "1"
    assert version.tags["gate_placebo_seeds"] == str(list(range(1000, 1020)))
    rejected = client.get_model_version(NAME, "3")
    assert rejected.tags["gate_decision"] == "rejected" and "champion_since" not in rejected.tags
    assert steps[1][2].to_metadata()["champion_version"] == 1


def test_load_champion_gives_version_and_its_predictions(history, samples):
    target, steps = history
    champion = load_champion(target)
    assert champion.version == 2 and champion.filter.model == "logistic"
    np.testing.assert_allclose(champion.filter.predict_proba(samples.features),
                               steps[1][0].predict_proba(samples.features))


def test_rollback_command_moves_champion_back_and_forward(history, capsys):
    target, _ = history
    assert main(["rollback", "--model", NAME, "--tracking-uri", target.tracking_uri]) == 0
    assert "from version 2 to 1" in capsys.readouterr().out
    assert load_champion(target).version == 1
    with pytest.raises(LookupError, match="version 1 .* has no previous champion; pass --to-version"):
        rollback(target)
    assert rollback(target, to_version=2) == {"from_version": 1, "to_version": 2}
    assert int(alias_version(target, CHAMPION).version) == 2


def test_no_champion_and_no_store_named(tmp_path):
    target = RegistryTarget(f"sqlite:///{tmp_path / 'empty.db'}", NAME)
    with pytest.raises(LookupError, match="no 'champion'"):
        load_champion(target)
    with pytest.raises(SystemExit):
        main(["rollback", "--model", NAME, "--tracking-uri", ""])


def test_rollback_without_previous_champion_exits_nonzero(history, capsys):
    target, _ = history
    assert rollback(target, to_version=1)["to_version"] == 1
    try:
        assert main(["rollback", "--model", NAME, "--tracking-uri", target.tracking_uri]) == 1
        assert "has no previous champion; pass --to-version N" in capsys.readouterr().err
    finally:
        rollback(target, to_version=2)
