"""Log a walk-forward search to MLflow: a parent run with the out-of-sample headline, one child per trial."""
from __future__ import annotations

import math

import mlflow
from mlflow.tracking import MlflowClient

TRIAL_METRICS = ("sharpe", "sortino", "cagr", "max_drawdown", "annual_volatility", "total_return",
                 "trade_count", "refusals", "mean_window_score", "times_selected")


def _finite(values: dict) -> dict:
    out = {}
    for key, value in values.items():
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number):
            out[key] = number
    return out


def log_search_to_mlflow(search_result, experiment_name: str, tracking_uri: str,
                         artifact_location: str | None = None, tearsheet: bool = True) -> str:
    """Log ``search_result`` (a :class:`pairs_platform.backtest.optimize.SearchResult`); returns the parent run id.

    The parent run holds the search settings, the OOS headline metrics (prefixed ``oos_``), the
    per-window selections as a CSV artifact and, if ``tearsheet``, the OOS tear sheet HTML. Each
    trial is a nested child run with its parameters and metrics. Non-finite metrics are skipped.
    ``tracking_uri`` e.g. ``sqlite:///path/mlflow.db``; ``artifact_location`` is used when the
    experiment is created.
    """
    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    experiment = client.get_experiment_by_name(experiment_name)
    experiment_id = (experiment.experiment_id if experiment is not None
                     else client.create_experiment(experiment_name, artifact_location=artifact_location))
    result = search_result
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{result.search}-search") as parent:
        mlflow.log_params({"search": result.search, "metric": result.metric, "n_trials": len(result.trials),
                           "oos_windows": len(result.selections)})
        mlflow.log_metrics({f"oos_{k}": v for k, v in _finite(result.headline).items()})
        if len(result.selections):
            mlflow.log_text(result.selections.to_csv(index=False), "oos_selections.csv")
        if tearsheet and result.oos is not None:
            from pairs_platform.reporting.tearsheet import render_tearsheet
            mlflow.log_text(render_tearsheet(result.oos, f"Walk-forward OOS ({result.search} search)"),
                            "oos_tearsheet.html")
        params_cols = [c for c in result.trials.columns if c not in TRIAL_METRICS and c != "trial_id"]
        for row in result.trials.to_dict("records"):
            with mlflow.start_run(experiment_id=experiment_id, run_name=f"trial-{row['trial_id']}", nested=True):
                mlflow.log_params({c: row[c] for c in params_cols} | {"trial_id": row["trial_id"]})
                mlflow.log_metrics(_finite({m: row[m] for m in TRIAL_METRICS if m in row}))
        return parent.info.run_id
