"""The code location the deploy test serves: the platform's definitions with the Celery executor.

The executor's settings are ``docker/celery.yaml`` (the file the workers start from), so the run
worker and the workers always agree on the broker. Served with
``dagster api grpc -m pairs_platform_tests.deploy.celery_location``.
"""
from pathlib import Path

import dagster as dg
import yaml
from dagster_celery import celery_executor

from pairs_platform.defs import definitions

CELERY_YAML = Path(__file__).resolve().parents[2] / "docker" / "celery.yaml"


def celery_config() -> dict:
    """The ``execution: config:`` block of ``docker/celery.yaml``."""
    return yaml.safe_load(CELERY_YAML.read_text())["execution"]["config"]


defs = dg.Definitions.merge(definitions.defs,
                            dg.Definitions(executor=celery_executor.configured(celery_config())))
