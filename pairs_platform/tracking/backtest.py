"""Log one backtest to MLflow: its parameters, its finite summary metrics and its tear sheet.

The headline metric keys (``sharpe``, ``cagr``, ...) are the real-data sleeve's; the sleeve with a
synthetic leg is logged apart with a ``synthetic_`` prefix and the traded book (every pair) with
``all_``, and the run is tagged ``data`` (``real`` or ``real+synthetic``)."""
from __future__ import annotations

from pathlib import Path

from pairs_platform.identifiers import validate_strategy_id
from pairs_platform.tracking.store import TrackingStore, finite_metrics


def log_backtest_run(store: TrackingStore, strategy_id: str, params: dict, summary: dict,
                     tearsheet: Path | None = None, synthetic: dict | None = None,
                     traded: dict | None = None) -> str:
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
        Headline metrics: the real-data sleeve's (with its PSR and Sharpe interval); only finite
        numbers are logged.
    tearsheet : Path, optional
        HTML file logged as an artifact under ``reports/``.
    synthetic : dict, optional
        Metrics of the pairs with a synthetic leg, logged as ``synthetic_<key>``.
    traded : dict, optional
        Metrics of the whole traded book, logged as ``all_<key>``.

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
        mlflow.set_tag("data", "real+synthetic" if synthetic is not None else "real")
        mlflow.log_metrics({**finite_metrics(summary),
                            **{f"synthetic_{k}": v for k, v in finite_metrics(synthetic or {}).items()},
                            **{f"all_{k}": v for k, v in finite_metrics(traded or {}).items()}})
        if tearsheet is not None:
            mlflow.log_artifact(str(tearsheet), artifact_path="reports")
    return run.info.run_id
