"""[models] jobs: walk-forward retraining of the entry filter, and the parameter search."""
import dagster as dg

SEARCH = dg.AssetSelection.assets("parameter_search")
PLACEBOS = dg.AssetSelection.assets("filter_placebos")
"""Slow evidence assets kept out of the routine jobs (run on demand)."""
ON_DEMAND = SEARCH | PLACEBOS

retrain_models = dg.define_asset_job(
    "retrain_models",
    selection=(dg.AssetSelection.groups("models") - ON_DEMAND) | dg.AssetSelection.assets("backtest_results",
                                                                                        "performance_report"),
    description="Walk-forward retraining of the entry filter, then the backtest and its report.")
optimize_strategy = dg.define_asset_job(
    "optimize_strategy", selection=SEARCH,
    description="Walk-forward grid search of the strategy's parameters, one MLflow child run per trial.")
filter_evidence = dg.define_asset_job(
    "filter_evidence", selection=PLACEBOS,
    description="Ablation's referee: each entry filter against its placebos (label permutations, "
                "time shifts) on the real-data pairs; slow, run on demand (make filter-evidence).")
