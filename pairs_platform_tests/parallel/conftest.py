"""Fixtures of the fan-out tests: a small planted-pairs market and real Celery workers on loopback.

The Celery fixture starts ``celery -A pairs_platform.parallel.celery_app worker`` (2 processes) on a
private queue of the Redis at ``PAIRS_TEST_REDIS_URL`` (default 127.0.0.1:6379 db 0). Without a
Redis it skips with the reason, unless ``CI=true`` (then it fails: required in CI).
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


@pytest.fixture(scope="session")
def market():
    prices, planted = planted_pairs_prices(n_walks=10, n_planted=5, n_obs=760, seed=4)
    return prices, planted


def _redis_up(url: str) -> str | None:
    where = urlparse(url)
    try:
        with socket.create_connection((where.hostname, where.port or 6379), timeout=2):
            return None
    except OSError as exc:
        return f"Celery fan-out tests need a Redis at {url}: {exc}"


@pytest.fixture(scope="session")
def celery_backend():
    down = _redis_up(REDIS_URL)
    if down:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(down + " (CI=true: these tests are required in CI)")
        pytest.skip(down)
    queue = f"pairs_parallel_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    backend = CeleryBackend(REDIS_URL, REDIS_URL, queue, timeout=300)
    worker = start_celery_workers(backend, 2, ROOT)
    try:
        yield backend
    finally:
        stop_celery_workers(worker)
