"""Plain ``postgresql://`` URLs work for the ledger, the Dagster instance and MLflow.

SQLAlchemy 2.1 maps ``postgresql://`` to psycopg 3 (``psycopg``); before it was installed these
URLs failed with ``No module named 'psycopg'``. Each test gets a fresh scratch database.
"""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pairs_platform.execution import Ledger, OrderManager, PaperBroker
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig
from pairs_platform_tests.pg_support import scratch_database

SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def scratch_url():
    """``postgresql://postgres@127.0.0.1:5432/<fresh database>``, dropped afterwards."""
    with scratch_database(f"{SERVER}/postgres", "pairs_url", "the postgresql:// URL tests") as url:
        yield url.render_as_string(hide_password=False)


def test_ledger_accepts_a_plain_postgresql_url(scratch_url):
    with Ledger(scratch_url) as ledger:
        assert ledger.engine.dialect.driver == "psycopg"
        report = OrderManager(PaperBroker(ledger), ledger, RiskEngine(RiskEngineConfig.none())).rebalance(
            "s1", dt.date(2024, 1, 2), pd.Series({"EQ:KO": 10}))
        assert report.n_sent == 1 and len(ledger.orders_frame()) == 1


def test_dagster_instance_accepts_a_plain_postgresql_url(scratch_url, tmp_path):
    import dagster as dg

    (tmp_path / "dagster.yaml").write_text(f"storage:\n  postgres:\n    postgres_url: {scratch_url}\n")
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert instance.get_runs() == []


def test_mlflow_accepts_a_plain_postgresql_url(scratch_url, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(scratch_url)
    try:
        experiment_id = mlflow.create_experiment("pairs_url_check")
        assert mlflow.get_experiment(experiment_id).name == "pairs_url_check"
    finally:
        mlflow.set_tracking_uri(previous)
