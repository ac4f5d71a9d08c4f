"""The one ``Definitions`` object of pairs_platform: every domain folder's defs, plus the resources.

Each domain is a sub-package of ``pairs_platform.defs`` (``market_data``, ``research``, ``models``,
``trading``, ``execution``) holding its ``assets``, ``checks``, ``jobs``, ``schedules`` and ``sensors``
modules; :func:`domain_packages` finds them and ``dg.load_definitions_from_package_module`` loads whatever Dagster
objects they define, so a new asset, job, schedule or sensor needs no edit here. ``shared`` (resources,
strategy resource, partitions, metadata helpers) and ``io_manager`` are shared pieces, not a domain.

Defaults run the embedded demo (local Parquet store, SQLite ledger, SQLite MLflow store). Production
endpoints come from the environment: ``MLFLOW_TRACKING_URI``, ``PAIRS_LEDGER_URL``,
``PAIRS_LIVE_TRADING_ENABLED`` and the ``IB_*`` connection settings; where heavy chunks run from
``PAIRS_PARALLEL_BACKEND`` (local, celery) and ``PAIRS_PARALLEL_PROCESSES`` (docs/scale.md). The
strategy resource holds ``pairs_platform.strategy.load_strategy_config()`` (defaults, or the
``PAIRS_STRATEGY_FILE`` file), the same configuration the desk reads.
"""
import importlib
import os
import pkgutil
from pathlib import Path
from types import ModuleType

import dagster as dg

from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.defs.shared.resources import (
    LedgerResource, LiveTradingResource, MLflowResource, ParallelResource, PriceSourcesResource, data_dir,
)
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.strategy import load_strategy_config

SHARED_PACKAGES = ("shared",)


def domain_packages() -> list[ModuleType]:
    """Every domain sub-package of ``pairs_platform.defs`` (all sub-packages but the shared ones), by name."""
    import pairs_platform.defs as root

    names = sorted(m.name for m in pkgutil.iter_modules(root.__path__) if m.ispkg and m.name not in SHARED_PACKAGES)
    return [importlib.import_module(f"{root.__name__}.{name}") for name in names]


def _env(name: str, default: str) -> str | dg.EnvVar:
    """An ``EnvVar`` when the variable is set (so the UI shows where a value came from), else the default."""
    return dg.EnvVar(name) if os.environ.get(name) else default


def _env_int(name: str, default: int):
    """An integer ``EnvVar`` when the variable is set, else the default."""
    return dg.EnvVar.int(name) if os.environ.get(name) else default


def build_resources() -> dict:
    """The resources of the platform, configured from the environment (see the module docstring)."""
    return {
        "io_manager": PartitionedParquetIOManager(base_dir=_env("PAIRS_ASSET_STORE", str(data_dir() / "assets"))),
        "price_sources": PriceSourcesResource(),
        "strategy": StrategyResource.from_config(load_strategy_config()),  # PAIRS_STRATEGY_FILE, as the desk
        "mlflow": MLflowResource(tracking_uri=_env("MLFLOW_TRACKING_URI", "")),
        "ledger": LedgerResource(url=_env("PAIRS_LEDGER_URL", "")),
        "live_trading": LiveTradingResource(),  # enabled and configured by the environment only
        "parallel": ParallelResource(backend=_env("PAIRS_PARALLEL_BACKEND", "local"),
                                     processes=_env_int("PAIRS_PARALLEL_PROCESSES", 1)),
    }


def in_process_by_default() -> dg.ExecutorDefinition:
    """Dagster's default executor (run config ``execution: {config: {in_process | multiprocess}}``
    unchanged) that runs in process when a run does not choose.

    Dagster's own default is ``multiprocess``: a process per step, each importing the code location
    (~8 s here), so a scheduled 19-step daily run on 2 cores took minutes; in process, the steps
    share the run's imports and loaded models (docs/scale.md)."""
    default = dg.multi_or_in_process_executor
    return default.configured(lambda config: config, config_schema=dg.Field(
        default.config_schema.config_type, default_value={"in_process": {}},
        description="in_process (the default: every step in the run's process) or multiprocess"))


def build_executor() -> dg.ExecutorDefinition:
    """The Celery executor when ``PAIRS_CELERY_CONFIG`` names its settings (``docker/celery.yaml``);
    otherwise :func:`in_process_by_default` (the embedded default)."""
    path = os.environ.get("PAIRS_CELERY_CONFIG")
    if not path:
        return in_process_by_default()
    import yaml
    from dagster_celery import celery_executor

    return celery_executor.configured(yaml.safe_load(Path(path).read_text())["execution"]["config"])


def build_definitions(**resource_overrides) -> dg.Definitions:
    """The platform's definitions; tests and notebooks override resources by name."""
    return dg.Definitions.merge(
        *(dg.load_definitions_from_package_module(package) for package in domain_packages()),
        dg.Definitions(resources={**build_resources(), **resource_overrides}, executor=build_executor()),
    )


defs = build_definitions()
