"""Both instance files load under Dagster's own schema, and the 'broker' pool holds one slot."""
from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.instance.config import dagster_instance_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("path", ["dagster.yaml", "docker/dagster.yaml"])
def test_instance_file_validates(path):
    config, _ = dagster_instance_config(str((ROOT / path).parent), (ROOT / path).name)
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_retries"]["enabled"] is True


def test_production_instance_is_postgres_with_psycopg2_and_run_monitoring():
    config, _ = dagster_instance_config(str(ROOT / "docker"), "dagster.yaml")
    assert config["storage"]["postgres"]["postgres_db"]["scheme"] == "postgresql+psycopg2"
    assert config["run_monitoring"]["enabled"] is True
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"


def test_local_instance_gives_the_broker_pool_one_slot(tmp_path, monkeypatch):
    shutil.copy(ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        instance.event_log_storage.initialize_concurrency_limit_to_default("broker")
        info = instance.event_log_storage.get_concurrency_info("broker")
    assert info.slot_count == 1 and info.using_default_limit
