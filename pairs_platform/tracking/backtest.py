"""Log one backtest to MLflow: its parameters, its finite summary metrics and its tear sheet."""
from __future__ import annotations

from pathlib import Path

from pairs_platform.identifiers import validate_strategy_id
from pairs_platform.tracking.store import TrackingStore, finite_metrics


def log_backtest_run(store: TrackingStore, strategy_id: str, params: dict, summary: dict,
                     tearsheet: Path | None = None) -> str:
    """Record a backtest as one MLflow run named ``<strategy_id>-backtest``.

    Parameters
    ----------
    store : TrackingStore
        Where the run goes (its experiment is created if missing).
    strategy_id : str
        The strategy (validated with ``validate_strategy_id``); names the run.
    params : dict
        Strategy parameters, logged as run parameters.
    summary : dict
        Backtest summary; only finite numbers are logged as metrics.
    tearsheet : Path, optional
        HTML file logged as an artifact under ``reports/``.

    Returns
    -------
    str
        The run id.
    """
    import mlflow

    validate_strategy_id(strategy_id, "backtest run name")
    experiment_id = store.activate()
    with mlflow.start_run(experiment_id=experiment_id, run_name=f"{strategy_id}-backtest") as run:
        mlflow.log_params(params)
        mlflow.log_metrics(finite_metrics(summary))
        if tearsheet is not None:
            mlflow.log_artifact(str(tearsheet), artifact_path="reports")
    return run.info.run_id
