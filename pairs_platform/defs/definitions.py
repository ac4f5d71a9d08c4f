"""The one ``Definitions`` object of pairs_platform: assets, checks, jobs, schedules, sensors, resources.

Defaults run the embedded demo (local Parquet store, SQLite ledger, SQLite MLflow store). Production
endpoints come from the environment: ``MLFLOW_TRACKING_URI``, ``PAIRS_LEDGER_URL``,
``PAIRS_LIVE_TRADING_ENABLED`` and the ``IB_*`` connection settings.
"""
import os

import dagster as dg

from pairs_platform.defs import automation
from pairs_platform.defs.assets import execution, market_data, models, research, trading
from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.defs.resources import (
    LedgerResource, LiveTradingResource, MLflowResource, PaperBrokerResource, PriceSourcesResource, data_dir,
)
from pairs_platform.defs.strategy import StrategyResource


def _env(name: str, default: str) -> str | dg.EnvVar:
    """An ``EnvVar`` when the variable is set (so the UI shows where a value came from), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def build_resources() -> dict:
    return {
        "io_manager": PartitionedParquetIOManager(base_dir=_env("PAIRS_ASSET_STORE", str(data_dir() / "assets"))),
        "price_sources": PriceSourcesResource(),
        "strategy": StrategyResource(),
        "mlflow": MLflowResource(tracking_uri=_env("MLFLOW_TRACKING_URI", "")),
        "ledger": LedgerResource(url=_env("PAIRS_LEDGER_URL", "")),
        "paper_broker": PaperBrokerResource(),
        "live_trading": LiveTradingResource(),  # enabled and configured by the environment only
    }


def build_definitions(**resource_overrides) -> dg.Definitions:
    """The platform's definitions; tests and notebooks override resources by name."""
    return dg.Definitions(
        assets=dg.load_assets_from_modules([market_data, research, models, trading, execution]),
        jobs=[automation.pairs_pipeline, automation.daily_pipeline, automation.retrain_models, automation.optimize_strategy,
              automation.paper_execution_job, automation.live_execution_job],
        schedules=[automation.daily_after_close, automation.weekly_retrain],
        sensors=[automation.paper_on_new_targets],
        resources={**build_resources(), **resource_overrides},
    )


defs = build_definitions()
