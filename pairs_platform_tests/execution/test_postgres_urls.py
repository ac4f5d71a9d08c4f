"""Plain ``postgresql://`` URLs work for the ledger, the Dagster instance and MLflow.

SQLAlchemy 2.1 maps ``postgresql://`` to psycopg 3 (``psycopg``); before it was installed these
URLs failed with ``No module named 'psycopg'``. Each test gets a fresh scratch database.
"""
from __future__ import annotations

import datetime as dt
import os
import uuid

import pandas as pd
import pytest
import sqlalchemy as sa

from pairs_platform.execution import Ledger, OrderManager, PaperBroker
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig

SERVER = "postgresql://postgres@127.0.0.1:5432"


@pytest.fixture
def scratch_url():
    """``postgresql://postgres@127.0.0.1:5432/<fresh database>``, dropped afterwards."""
    admin = sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        reason = f"needs PostgreSQL at {SERVER}: {str(exc.orig).strip()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: required)")
        pytest.skip(reason)
    name = f"pairs_url_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{SERVER}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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
