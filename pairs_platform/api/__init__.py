"""Operate the desk: a FastAPI app (JSON API, dashboard at ``/``, Prometheus ``/metrics``) over a read
model of the ledger and asset store. ``python -m pairs_platform.api`` serves it on 127.0.0.1:8080."""
from __future__ import annotations

from pairs_platform.alerts import SqlAlertRecorder, alert_manager_from_env
from pairs_platform.api.app import create_app
from pairs_platform.api.desk import Desk
from pairs_platform.api.readmodel import DeskReadModel, TradingState, TradingStateName
from pairs_platform.api.settings import MODEL_NAME, ApiSettings
from pairs_platform.api.store_readmodel import LedgerStoreReadModel, open_ledger_for_reading


def build_desk(settings: ApiSettings, model: DeskReadModel | None = None) -> Desk:
    """The desk over ``model`` (default: the ledger and asset store of ``settings``, the ledger opened
    without migrating: :func:`open_ledger_for_reading`); alerts are recorded in the ledger database's
    ``alerts`` table and sent through the channels configured in the environment."""
    ledger = open_ledger_for_reading(settings.ledger_url)
    if model is None:
        model = LedgerStoreReadModel(ledger, settings.asset_store, settings.mlflow_uri, MODEL_NAME)
    recorder = SqlAlertRecorder(ledger.engine)
    return Desk(model, alert_manager_from_env(recorder), recorder, settings.capital, MODEL_NAME)


def app_from_env():
    """The FastAPI app configured from the environment (uvicorn factory)."""
    settings = ApiSettings.from_env()
    return create_app(build_desk(settings), settings.api_token)


__all__ = ["ApiSettings", "Desk", "DeskReadModel", "LedgerStoreReadModel", "TradingState", "TradingStateName",
           "app_from_env", "build_desk", "create_app", "open_ledger_for_reading"]
