"""[models] the ML entry filter: walk-forward trained, tracked and registered in MLflow."""
import dagster as dg
import pandas as pd

from pairs_platform.defs.resources import MLflowResource
from pairs_platform.defs.strategy import StrategyResource
from pairs_platform.ml import entry_labels, log_filter_to_mlflow
from pairs_platform.ml.walkforward import retrain_cutoffs, train_walk_forward
from pairs_platform.signals.spreads import SpreadPanel


def labels_for(strategy: StrategyResource, panel: SpreadPanel) -> pd.DataFrame:
    """Did each z-score entry candidate revert before its stop or horizon? (label, label_end)."""
    labels = entry_labels(panel.zscores, panel.mask, entry=strategy.entry_z, exit=strategy.exit_z,
                          stop=strategy.stop_z, horizon=strategy.label_horizon_days)
    return labels.to_frame(panel.dates, panel.pair_ids)


@dg.asset(group_name="models", kinds={"sklearn", "mlflow"})
def signal_model(context: dg.AssetExecutionContext, strategy: StrategyResource, mlflow: MLflowResource,
                 price_panel: pd.DataFrame, pair_universe: pd.DataFrame, spreads: SpreadPanel,
                 ml_features: pd.DataFrame) -> dg.Output:
    """Entry filter models, retrained every ``ml_retrain_days`` sessions on labels resolved before each
    cutoff; the newest is logged, registered and aliased 'champion' in MLflow (the live model)."""
    labels = labels_for(strategy, spreads)
    first_trade = pd.Timestamp(pair_universe["trade_start"].min())
    cutoffs = retrain_cutoffs(first_trade, price_panel.index[-1], strategy.ml_retrain_days, price_panel.index)
    segments = train_walk_forward(ml_features, labels, cutoffs, model=strategy.ml_model,
                                  min_samples=strategy.ml_min_training_samples)
    trained = [s for s in segments if s.model is not None]
    registry: dict = {}
    if trained:
        newest = trained[-1].model
        registry = log_filter_to_mlflow(newest, mlflow.resolved_uri(), mlflow.experiment, mlflow.registered_model,
                                        input_example=ml_features.head(5), artifact_location=mlflow.artifact_location())
    table = pd.DataFrame([{"start": s.start.date(), "n_train": s.n_train, "trained": s.model is not None,
                           **({k: round(v, 4) for k, v in s.model.cv_metrics.items()} if s.model else {})}
                          for s in segments])
    context.log.info(f"{len(trained)} of {len(segments)} walk-forward segments have a model")
    return dg.Output({"segments": segments, "registry": registry}, metadata={
        "segments": len(segments), "segments_with_model": len(trained),
        "candidates_labelled": int(labels["label"].notna().sum()),
        "mlflow_run_id": registry.get("run_id", ""), "model_version": str(registry.get("version", "")),
        "registered_model_uri": registry.get("registered_model_uri", ""),
        "walk_forward": dg.MetadataValue.md(table.to_markdown(index=False)),
    })
