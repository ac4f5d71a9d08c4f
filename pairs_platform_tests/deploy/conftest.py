"""The deploy test's stack: started once for the module, every process stopped at the end.

Runs under ``make deploy-test`` (``PAIRS_DEPLOY_TEST=1``) and under ``CI=true``; otherwise its
tests are skipped with the reason. Needs the machine's PostgreSQL server binaries and RabbitMQ
(``rabbitmqctl``): missing, the tests are skipped, or fail under ``CI=true``.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from pairs_platform_tests.deploy.operator import Operator
from pairs_platform_tests.deploy.stack import LOCATION_NAME, Stack, postgres_bin


def _required() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("PAIRS_DEPLOY_TEST") == "1"


def _missing_prerequisite() -> str:
    try:
        postgres_bin()
    except FileNotFoundError as exc:
        return str(exc)
    if shutil.which("rabbitmqctl") is None:
        return "rabbitmqctl not found: the deploy test needs the local RabbitMQ (apt-get install rabbitmq-server)"
    return ""


@pytest.fixture(scope="package")
def stack():
    if not _required():
        pytest.skip("the deploy test runs under `make deploy-test` (PAIRS_DEPLOY_TEST=1) or CI=true")
    missing = _missing_prerequisite()
    if missing:
        (pytest.fail if os.environ.get("CI", "").lower() == "true" else pytest.skip)(missing)
    root = Path(tempfile.mkdtemp(prefix="pairs_deploy_"))
    root.chmod(0o755)  # the PostgreSQL server runs as user postgres inside it
    started = Stack(root)
    saved = dict(os.environ)
    try:
        started.start()
        os.environ.update(started.procs.env)  # this process reads the same instance and stores
        yield started
    finally:
        started.stop()
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="package")
def operator(stack) -> Operator:
    return Operator(stack.ports.webserver, LOCATION_NAME)
