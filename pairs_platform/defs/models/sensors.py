"""[models] retrain on drift: when the inputs of the model in use drift or its live hit rate
decays, launch ``retrain_models`` and send a "model drift" alert."""
import dagster as dg

from pairs_platform.alerts import SqlAlertRecorder, alert_manager_from_env, model_drift
from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.defs.models.jobs import retrain_models
from pairs_platform.defs.models.live import filter_in_use, strategy_labels
from pairs_platform.defs.shared.resources import LedgerResource, MLflowResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml.drift import DriftThresholds, should_retrain
from pairs_platform.ml.live_model import drift_report, signals_decay
from pairs_platform.store import AssetStore

SENSOR_DRIFT = DriftThresholds(min_breaching_features=3)
"""The retrain rule's drift thresholds: at least three breaching features (the WARN check flags one;
docs/ml.md measures 1 false breach in 12 stationary windows with three)."""
WATCHED = (dg.AssetKey("ml_features"), dg.AssetKey("signals"))


def _cursor(instance: dg.DagsterInstance) -> str | None:
    """Run ids and times of the newest features and signals materializations; None until both exist."""
    events = [instance.get_latest_materialization_event(key) for key in WATCHED]
    return None if any(e is None for e in events) else "|".join(f"{e.run_id}@{e.timestamp}" for e in events)


@dg.sensor(job=retrain_models, minimum_interval_seconds=3600,
           description="Launches retrain_models when >= 3 features of the model in use drifted or its live hit "
                       "rate decayed (ml/drift.py should_retrain), and sends a model-drift alert.")
def retrain_on_model_drift(context: dg.SensorEvaluationContext, strategy: StrategyResource,
                           mlflow: MLflowResource, ledger: LedgerResource,
                           io_manager: dg.ResourceParam[PartitionedParquetIOManager]):
    """Evaluates drift and decay once per new (features, signals) pair of materializations."""
    cursor = _cursor(context.instance)
    if cursor is None:
        return dg.SkipReason("ml_features and signals are not both materialized yet")
    if cursor == context.cursor:
        return dg.SkipReason("no new features or signals since the last evaluation")
    context.update_cursor(cursor)
    store = AssetStore(io_manager.base_dir)
    model, source = filter_in_use(mlflow, store.load(["signal_model"])["segments"])
    if model is None:
        return dg.SkipReason("no trained entry filter: nothing to judge")
    drift = drift_report(store.load(["ml_features"]), model, SENSOR_DRIFT)
    decay = signals_decay(store.load(["signals"]), strategy_labels(strategy.config(), store.load(["spreads"])), model)
    retrain, reason = should_retrain(drift, decay)
    if not retrain:
        return dg.SkipReason(f"{source}: {reason}")
    alert = model_drift(mlflow.registered_model, source, reason)
    alert_manager_from_env(SqlAlertRecorder(ledger.resolved_url())).notify(alert)
    return dg.RunRequest(run_key=f"drift-{cursor}", tags={"pairs/retrain_reason": reason[:200],
                                                         "pairs/model_in_use": source})
