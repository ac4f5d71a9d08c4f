"""A short but complete materialization of the graph, shared by the Dagster-layer tests."""
import shutil
from pathlib import Path

import dagster as dg
import pytest

from pairs_platform.defs.definitions import build_definitions
from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.defs.shared.resources import LedgerResource, MLflowResource, PriceSourcesResource
from pairs_platform.defs.shared.strategy import StrategyResource

START, END = "2021-09-01", "2022-12-28"


def make_defs(root, **overrides) -> dg.Definitions:
    """Definitions whose every store lives under ``root`` (never the environment's MLflow or ledger)."""
    (root / "mlflow").mkdir(parents=True, exist_ok=True)
    return build_definitions(
        io_manager=PartitionedParquetIOManager(base_dir=str(root / "assets")),
        mlflow=MLflowResource(tracking_uri=f"sqlite:///{root / 'mlflow' / 'mlflow.db'}"),
        ledger=LedgerResource(url=f"sqlite:///{root / 'ledger.db'}"),
        # A short run that must select, trade and train: 120-session formation windows are too short
        # for FDR selection to find many pairs, so this fixture selects per test (the defaults are
        # checked in test_strategy_resource.py) and keeps the graph fast.
        strategy=StrategyResource(formation_days=120, trading_days=40, ml_retrain_days=60,
                                  ml_min_training_samples=20, selection="pvalue"),
        **{"price_sources": PriceSourcesResource(), **overrides})


def run_range(defs, instance, job: str, start: str, end: str, **kwargs):
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance, tags={"dagster/asset_partition_range_start": start,
                                 "dagster/asset_partition_range_end": end}, **kwargs)


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    """(defs, instance, root, result) after pairs_pipeline over START..END in a temporary
    DAGSTER_HOME configured by the project's own dagster.yaml."""
    root = tmp_path_factory.mktemp("platform")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "dagster.yaml", home / "dagster.yaml")
    mp = pytest.MonkeyPatch()
    mp.setenv("PAIRS_DATA_DIR", str(root))
    mp.setenv("DAGSTER_HOME", str(home))
    defs = make_defs(root)
    with dg.DagsterInstance.get() as instance:
        result = run_range(defs, instance, "pairs_pipeline", START, END)
        yield defs, instance, root, result
    mp.undo()
