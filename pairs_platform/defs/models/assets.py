"""[models] the ML entry filter (walk-forward trained, tracked and registered in MLflow) and the
walk-forward search of the strategy's parameters."""
import dagster as dg
import pandas as pd

from pairs_platform.backtest.optimize import grid_search
from pairs_platform.defs.shared.metadata import HEADLINE, ratio, segments_table, table_preview
from pairs_platform.defs.shared.resources import MLflowResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml import panel_labels
from pairs_platform.ml.walkforward import retrain_cutoffs, train_walk_forward
from pairs_platform.signals.spreads import SpreadPanel
from pairs_platform.tracking.models import log_filter_to_mlflow
from pairs_platform.tracking.search import log_search_to_mlflow

GROUP = "models"


@dg.asset(group_name=GROUP, kinds={"sklearn", "mlflow"})
def signal_model(context: dg.AssetExecutionContext, strategy: StrategyResource, mlflow: MLflowResource,
                 price_panel: pd.DataFrame, pair_universe: pd.DataFrame, spreads: SpreadPanel,
                 ml_features: pd.DataFrame) -> dg.Output:
    """Entry filter models, retrained every ``ml_retrain_days`` sessions on labels resolved before each
    cutoff; the newest is logged, registered and aliased 'champion' in MLflow (the live model)."""
    config = strategy.config()
    labels = panel_labels(spreads, entry=config.entry_z, exit=config.exit_z, stop=config.stop_z,
                          horizon=config.label_horizon_days)
    first_trade = pd.Timestamp(pair_universe["trade_start"].min())
    cutoffs = retrain_cutoffs(first_trade, price_panel.index[-1], config.ml_retrain_days, price_panel.index)
    segments = train_walk_forward(ml_features, labels, cutoffs, model=config.ml_model,
                                  min_samples=config.ml_min_training_samples, threshold=config.ml_threshold)
    trained = [s for s in segments if s.model is not None]
    registry: dict = {}
    if trained:
        store = mlflow.store()
        registry = log_filter_to_mlflow(trained[-1].model, store.uri, store.experiment, mlflow.registered_model,
                                        input_example=ml_features.head(5))
    context.log.info(f"{len(trained)} of {len(segments)} walk-forward segments have a model")
    return dg.Output({"segments": segments, "registry": registry}, metadata={
        "segments": len(segments), "segments_with_model": len(trained),
        "candidates_labelled": int(labels["label"].notna().sum()),
        "mlflow_run_id": registry.get("run_id", ""), "model_version": str(registry.get("version", "")),
        "registered_model_uri": registry.get("registered_model_uri", ""),
        "walk_forward": table_preview(segments_table(segments)),
    })


@dg.asset(group_name=GROUP, kinds={"mlflow"})
def parameter_search(strategy: StrategyResource, mlflow: MLflowResource, price_panel: pd.DataFrame,
                     pair_universe: pd.DataFrame, instruments: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Walk-forward grid search of entry, exit, stop and sizing: the parameters chosen on each trading
    window are scored on the next, and only that chained out-of-sample result is the headline. Each
    trial is an MLflow child run; the trials table is the value."""
    config = strategy.config()
    result = grid_search(price_panel, pair_universe, config.search_space(), base=config.params(),
                         instruments=instruments, costs=config.costs(), limits=config.limits(),
                         capital=config.capital)
    store = mlflow.store()
    parent = log_search_to_mlflow(result, store.experiment, store.uri)
    headline = {f"oos_{k}": ratio(result.headline[k]) for k in HEADLINE if k in result.headline}
    return dg.Output(result.trials, metadata={
        **headline, "trials": len(result.trials), "mlflow_parent_run_id": parent,
        "oos_selections": table_preview(result.selections),
    })
