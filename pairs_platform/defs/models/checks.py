"""[models] health of the entry filter in use: feature drift (on ``ml_features``) and live
performance decay (on ``signals``), both judged against the champion, else the newest
walk-forward model (``ml.live_model``). The retrain sensor applies the stricter rule."""
import dagster as dg
import pandas as pd

from pairs_platform.defs.models.live import filter_in_use, strategy_labels
from pairs_platform.defs.shared.resources import MLflowResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml.live_model import drift_report, signals_decay
from pairs_platform.signals.spreads import SpreadPanel

MODEL_IN = {"signal_model": dg.AssetIn("signal_model")}


def _not_judged(why: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"judged": False, "why": why})


@dg.asset_check(asset="ml_features", additional_ins=MODEL_IN, blocking=False,
                description="Feature drift (PSI and KS vs the slice null, ml/drift.py) between the training "
                            "inputs of the model in use and the last 60 sessions; WARN.")
def ml_features_drift(mlflow: MLflowResource, ml_features: pd.DataFrame,
                      signal_model: dict) -> dg.AssetCheckResult:
    """WARN when at least one feature drifted from the model in use's training inputs."""
    model, source = filter_in_use(mlflow, signal_model["segments"])
    if model is None:
        return _not_judged("no trained entry filter yet")
    report = drift_report(ml_features, model)
    return dg.AssetCheckResult(passed=not report.breached, severity=dg.AssetCheckSeverity.WARN, metadata={
        "judged": True, "model": source, "model_cutoff": str(pd.Timestamp(model.cutoff).date()),
        **report.to_metadata(), "table": dg.MetadataValue.md(report.table.round(4).to_markdown())})


@dg.asset_check(asset="signals", additional_ins={**MODEL_IN, "spreads": dg.AssetIn("spreads")},
                description="Live hit rate of the entries the model in use accepted after its cutoff vs its "
                            "purged-CV precision (one-sided binomial test, ml/drift.py); WARN.")
def signals_performance_decay(strategy: StrategyResource, mlflow: MLflowResource, signals: pd.DataFrame,
                              signal_model: dict, spreads: SpreadPanel) -> dg.AssetCheckResult:
    """WARN when the live hit rate decayed below the model's CV estimate."""
    model, source = filter_in_use(mlflow, signal_model["segments"])
    if model is None:
        return _not_judged("no trained entry filter yet")
    config = strategy.config()
    labels = strategy_labels(config, spreads)
    report = signals_decay(signals, labels, model)
    if report is None:
        return _not_judged(f"{source} has no usable CV precision to compare with")
    return dg.AssetCheckResult(passed=not report.decayed, severity=dg.AssetCheckSeverity.WARN, metadata={
        "judged": True, "model": source, "model_cutoff": str(pd.Timestamp(model.cutoff).date()),
        **report.to_metadata()})
