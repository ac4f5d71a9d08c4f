"""The retrain-on-drift sensor: a planted drift launches retrain_models and alerts; no drift does not."""
import dagster as dg
import numpy as np
import pandas as pd
import pytest

from pairs_platform.alerts import SqlAlertRecorder
from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.defs.models.sensors import retrain_on_model_drift
from pairs_platform.defs.shared.resources import LedgerResource, MLflowResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml.training import train_entry_filter
from pairs_platform.ml.walkforward import FilterSegment
from pairs_platform.signals.spreads import SpreadPanel
from pairs_platform.store import AssetStore

N_DATES, N_PAIRS, CUTOFF_AT = 400, 5, 300
FEATURES = [f"f{i}" for i in range(6)]


def _features(shift: float) -> pd.DataFrame:
    """i.i.d. features on (date, pair_id); the last 60 dates of f0..f3 shifted by ``shift`` sd."""
    rng = np.random.default_rng(3)
    dates = pd.bdate_range("2020-01-01", periods=N_DATES, name="date")
    index = pd.MultiIndex.from_product([dates, [f"p{k}" for k in range(N_PAIRS)]], names=["date", "pair_id"])
    values = rng.normal(size=(len(index), len(FEATURES)))
    recent = index.get_level_values("date") >= dates[-60]
    values[np.ix_(recent, [0, 1, 2, 3])] += shift
    return pd.DataFrame(values, index=index, columns=FEATURES)


def _plant(base, shift: float) -> None:
    """Stores what the pipeline would: features, a walk-forward model, signals and spreads."""
    features = _features(shift)
    dates = features.index.get_level_values("date")
    rng = np.random.default_rng(4)
    label = pd.Series((features["f0"] + rng.normal(size=len(features)) > 0).astype(float), index=features.index)
    label_end = pd.Series(dates + pd.Timedelta(days=7), index=features.index)
    cutoff = dates.unique()[CUTOFF_AT]
    model = train_entry_filter(features, label, label_end, cutoff, model="logistic", min_samples=50)
    unique = dates.unique()
    signals = features.reset_index()[["date", "pair_id"]].assign(entry_zone=False, ml_accept=True)
    zeros = np.zeros((len(unique), N_PAIRS))
    panel = SpreadPanel(unique, [f"p{k}" for k in range(N_PAIRS)], zeros, zeros, np.ones_like(zeros, dtype=bool))
    store = AssetStore(str(base))
    store.save(["ml_features"], features)
    store.save(["signal_model"], {"segments": [FilterSegment(cutoff, pd.Timestamp.max, model, 0)],
                                  "registry": {}})
    store.save(["signals"], signals)
    store.save(["spreads"], panel)


@pytest.fixture
def sensor_env(tmp_path):
    instance = dg.DagsterInstance.ephemeral()
    resources = {
        "strategy": StrategyResource(),
        "mlflow": MLflowResource(tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}"),
        "ledger": LedgerResource(url=f"sqlite:///{tmp_path / 'ledger.db'}"),
        "io_manager": PartitionedParquetIOManager(base_dir=str(tmp_path / "assets")),
    }
    return instance, resources, tmp_path


def _materialize(instance) -> None:
    for key in ("ml_features", "signals"):
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key))


def _tick(instance, resources, cursor=None):
    with dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor) as context:
        return retrain_on_model_drift(context), context.cursor


def test_planted_drift_launches_retrain_and_sends_a_model_drift_alert(sensor_env):
    instance, resources, root = sensor_env
    _plant(root / "assets", shift=2.0)
    _materialize(instance)
    result, cursor = _tick(instance, resources)
    assert isinstance(result, dg.RunRequest), result
    assert "feature drift in" in result.tags["pairs/retrain_reason"]
    assert result.tags["pairs/model_in_use"] == "newest walk-forward model"
    alerts = SqlAlertRecorder(f"sqlite:///{root / 'ledger.db'}").recent()
    assert [a.kind for a in alerts] == ["model_drift"] and alerts[0].status == "sent"
    assert "f0" in alerts[0].body
    again, _ = _tick(instance, resources, cursor)  # the same materializations are judged once
    assert isinstance(again, dg.SkipReason) and "no new" in again.skip_message


def test_no_drift_does_not_launch_a_retrain(sensor_env):
    instance, resources, root = sensor_env
    _plant(root / "assets", shift=0.0)
    _materialize(instance)
    result, _ = _tick(instance, resources)
    assert isinstance(result, dg.SkipReason), result
    assert "no feature drift and no performance decay" in result.skip_message
    assert SqlAlertRecorder(f"sqlite:///{root / 'ledger.db'}").recent() == []


def test_sensor_waits_for_features_and_signals(sensor_env):
    instance, resources, _ = sensor_env
    result, _ = _tick(instance, resources)
    assert isinstance(result, dg.SkipReason) and "not both materialized" in result.skip_message


def test_retrain_sensor_targets_retrain_models():
    assert retrain_on_model_drift.job_name == "retrain_models"
