"""Fixtures of the fan-out tests: a small planted-pairs market and real Celery workers on loopback.

The Celery fixtures start ``celery -A pairs_platform.parallel.celery_app worker`` (2 processes) on a
private queue of the Redis at ``PAIRS_TEST_REDIS_URL`` (default 127.0.0.1:6379 db 0), or of the
RabbitMQ at ``PAIRS_TEST_AMQP_URL`` with ``rpc://`` results. Without the server a test skips with
the reason, unless ``CI=true`` (then it fails: required in CI).
"""
from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pairs_platform.pairs.synthetic import planted_pairs_prices
from pairs_platform.parallel import CeleryBackend
from pairs_platform.parallel.workers import start_celery_workers, stop_celery_workers

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("PAIRS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
AMQP_URL = os.environ.get("PAIRS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


@pytest.fixture(scope="session")
def market():
    prices, planted = planted_pairs_prices(n_walks=10, n_planted=5, n_obs=760, seed=4)
    return prices, planted


def _require_server(url: str, what: str) -> None:
    """Skip (fail under CI=true) unless something listens at ``url``'s host and port."""
    where = urlparse(url)
    try:
        with socket.create_connection((where.hostname, where.port), timeout=2):
            return
    except OSError as exc:
        reason = f"Celery fan-out tests need {what} at {where.hostname}:{where.port}: {exc}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: these tests are required in CI)")
    pytest.skip(reason)


def _workers(broker: str, results: str):
    queue = f"pairs_parallel_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    backend = CeleryBackend(broker, results, queue, timeout=300)
    worker = start_celery_workers(backend, 2, ROOT)
    try:
        yield backend
    finally:
        stop_celery_workers(worker)


@pytest.fixture(scope="session")
def celery_backend():
    """2 worker processes on Redis (broker and results)."""
    _require_server(REDIS_URL, "a Redis")
    yield from _workers(REDIS_URL, REDIS_URL)


@pytest.fixture(scope="session")
def rabbitmq_backend():
    """2 worker processes on RabbitMQ, results by ``rpc://`` (the production broker, no Redis)."""
    _require_server(AMQP_URL, "a RabbitMQ")
    yield from _workers(AMQP_URL, "rpc://")
