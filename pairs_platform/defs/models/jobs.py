"""[models] jobs: walk-forward retraining of the entry filter, and the parameter search."""
import dagster as dg

SEARCH = dg.AssetSelection.assets("parameter_search")

retrain_models = dg.define_asset_job(
    "retrain_models",
    selection=(dg.AssetSelection.groups("models") - SEARCH) | dg.AssetSelection.assets("backtest_results",
                                                                                        "performance_report"),
    description="Walk-forward retraining of the entry filter, then the backtest and its report.")
optimize_strategy = dg.define_asset_job(
    "optimize_strategy", selection=SEARCH,
    description="Walk-forward grid search of the strategy's parameters, one MLflow child run per trial.")
