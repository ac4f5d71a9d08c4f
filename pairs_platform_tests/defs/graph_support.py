"""Helpers of the Dagster-layer tests: definitions whose every store lives under a folder, ranged runs.

A uniquely named module (not ``conftest``), so every test imports it unambiguously.
"""
import dagster as dg

from pairs_platform.defs.definitions import build_definitions
from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.defs.shared.partitions import session_range_tags
from pairs_platform.defs.shared.resources import LedgerResource, MLflowResource, PriceSourcesResource
from pairs_platform.defs.shared.strategy import StrategyResource

START, END = "2021-09-01", "2022-11-30"  # a month end: price partitions are months


def make_defs(root, **overrides) -> dg.Definitions:
    """Definitions whose every store lives under ``root`` (never the environment's MLflow or ledger)."""
    (root / "mlflow").mkdir(parents=True, exist_ok=True)
    return build_definitions(
        io_manager=PartitionedParquetIOManager(base_dir=str(root / "assets")),
        mlflow=MLflowResource(tracking_uri=f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"),
        ledger=LedgerResource(url=f"sqlite:///{root / 'ledger.db'}"),
        # A short run that must select, trade and train: 120-session formation windows are too short
        # for FDR selection to find many pairs, so this fixture selects per test (the defaults are
        # checked in test_strategy_resource.py) within asset classes (more candidates, so the short
        # run still trains several walk-forward models) and keeps the graph fast.
        strategy=StrategyResource(formation_days=120, trading_days=40, ml_retrain_days=60,
                                  ml_min_training_samples=20, selection="pvalue",
                                  group_by="asset_class"),
        **{"price_sources": PriceSourcesResource(), **overrides})


def run_range(defs, instance, job: str, start: str, end: str, **kwargs):
    job_def = defs.resolve_job_def(job)
    return job_def.execute_in_process(
        instance=instance, tags=session_range_tags(job_def.partitions_def, start, end), **kwargs)
