"""Log a walk-forward search to MLflow: a parent run with the out-of-sample headline, one child per trial."""
from __future__ import annotations

import mlflow

from pairs_platform.reporting.integrity import integrity_markdown
from pairs_platform.reporting.tearsheet import Honesty, render_tearsheet
from pairs_platform.tracking.store import ensure_experiment, finite_metrics

DEFLATION_METRICS = ("deflated_sharpe_ratio", "pbo", "oos_sharpe_se", "expected_max_sharpe", "n_trials",
                     "trial_sharpe_std", "pbo_splits", "pbo_mean_oos_rank")
TRIAL_METRICS = ("sharpe", "sortino", "cagr", "max_drawdown", "annual_volatility", "total_return",
                 "trade_count", "refusals", "mean_window_score", "times_selected")


def log_search_to_mlflow(search_result, experiment_name: str, tracking_uri: str,
                         artifact_location: str | None = None, tearsheet: bool = True,
                         deflation: dict | None = None) -> str:
    """Log a walk-forward search: a parent run with the out-of-sample headline, a child per trial.

    The parent run holds the search settings, the OOS headline metrics (prefixed ``oos_``), the
    per-window selections as a CSV artifact and, if ``tearsheet``, the OOS tear sheet HTML. Each
    trial is a nested child run with its parameters and metrics. Non-finite metrics are skipped.
    With ``deflation`` (``backtest.search_deflation.deflate_search``) the parent also holds the
    deflated Sharpe ratio, PBO, OOS Sharpe SE, expected max Sharpe, trial count and trial Sharpe
    std, and the tear sheet shows them beside the OOS Sharpe.

    Parameters
    ----------
    search_result : pairs_platform.backtest.optimize.SearchResult
        The search to log.
    experiment_name : str
        MLflow experiment (created if missing, with ``artifact_location``).
    tracking_uri : str
        The MLflow store, e.g. ``sqlite:///path/mlflow.db``.
    artifact_location : str, optional
        Artifact root used when the experiment is created.
    tearsheet : bool, default True
        Whether to log the OOS tear sheet HTML.
    deflation : dict, optional
        ``deflate_search``'s figures (NaN ones are skipped).

    Returns
    -------
    str
        The parent run id.
    """
    mlflow.set_tracking_uri(tracking_uri)
    experiment_id = ensure_experiment(tracking_uri, experiment_name, artifact_location)
    result = search_result
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{result.search}-search") as parent:
        mlflow.log_params({"search": result.search, "metric": result.metric, "n_trials": len(result.trials),
                           "oos_windows": len(result.selections)})
        mlflow.log_metrics({f"oos_{k}": v for k, v in finite_metrics(result.headline).items()})
        if deflation is not None:
            mlflow.log_metrics(finite_metrics({k: deflation[k] for k in DEFLATION_METRICS if k in deflation}))
        if len(result.selections):
            mlflow.log_text(result.selections.to_csv(index=False), "oos_selections.csv")
        if tearsheet and result.oos is not None:
            honesty = Honesty(integrity_md=integrity_markdown(deflation=deflation)) if deflation is not None else None
            mlflow.log_text(render_tearsheet(result.oos, f"Walk-forward OOS ({result.search} search)", honesty),
                            "oos_tearsheet.html")
        params_cols = [c for c in result.trials.columns if c not in TRIAL_METRICS and c != "trial_id"]
        for row in result.trials.to_dict("records"):
            with mlflow.start_run(experiment_id=experiment_id, run_name=f"trial-{row['trial_id']}", nested=True):
                mlflow.log_params({c: row[c] for c in params_cols} | {"trial_id": row["trial_id"]})
                mlflow.log_metrics(finite_metrics({m: row[m] for m in TRIAL_METRICS if m in row}))
        return parent.info.run_id
