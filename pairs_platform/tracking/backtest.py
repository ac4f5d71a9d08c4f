"""Log one backtest to MLflow: its parameters, its finite summary metrics and its tear sheet.

The headline metric keys (``sharpe``, ``cagr``, ...) are the real-data sleeve's; the sleeve with a
synthetic leg is logged apart with a ``synthetic_`` prefix and the traded book (every pair) with
``all_``, and the run is tagged ``data`` (``real`` or ``real+synthetic``)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from pairs_platform.identifiers import validate_strategy_id
from pairs_platform.tracking.store import TrackingStore, finite_metrics


@dataclass(frozen=True)
class BacktestProvenance:
    """What a backtest ran on, logged with its MLflow run (see :func:`log_provenance`).

    Parameters
    ----------
    strategy : dict
        The full strategy configuration (every field of ``StrategyConfig``).
    first_date, last_date : str
        The backtest's date range (``YYYY-MM-DD``).
    sources : dict
        Price source kind per asset class.
    dagster_run_id : str, optional
        The Dagster run that produced the backtest (empty outside Dagster).
    code_version : str, optional
        Git commit of the code (``reporting.provenance.code_version``; empty when not given).
    """

    strategy: dict
    first_date: str
    last_date: str
    sources: dict = field(default_factory=dict)
    dagster_run_id: str = ""
    code_version: str = ""


def log_provenance(provenance: BacktestProvenance) -> None:
    """Log the active run's provenance: ``strategy.<field>`` params, and date range, sources and
    Dagster run id and code version as tags (``pairs_platform.*``, ``dagster.run_id``)."""
    import mlflow

    mlflow.log_params({f"strategy.{k}": v if isinstance(v, (str, int, float, bool)) or v is None
                       else json.dumps(v, default=str) for k, v in provenance.strategy.items()})
    mlflow.set_tags({"pairs_platform.component": "backtest", "pairs_platform.first_date": provenance.first_date,
                     "pairs_platform.last_date": provenance.last_date, "dagster.run_id": provenance.dagster_run_id,
                     "pairs_platform.code_version": provenance.code_version,
                     **{f"pairs_platform.source.{k}": str(v) for k, v in provenance.sources.items()}})


def log_backtest_run(store: TrackingStore, strategy_id: str, params: dict, summary: dict,
                     tearsheet: Path | None = None, synthetic: dict | None = None,
                     traded: dict | None = None, provenance: BacktestProvenance | None = None) -> str:
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
    provenance : BacktestProvenance, optional
        Full strategy configuration, date range, data sources and Dagster run id (:func:`log_provenance`).

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
        if provenance is not None:
            log_provenance(provenance)
        mlflow.set_tag("data", "real+synthetic" if synthetic is not None else "real")
        mlflow.log_metrics({**finite_metrics(summary),
                            **{f"synthetic_{k}": v for k, v in finite_metrics(synthetic or {}).items()},
                            **{f"all_{k}": v for k, v in finite_metrics(traded or {}).items()}})
        if tearsheet is not None:
            mlflow.log_artifact(str(tearsheet), artifact_path="reports")
    return run.info.run_id
