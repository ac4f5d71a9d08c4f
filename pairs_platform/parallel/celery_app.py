"""The Celery app of the chunk workers: JSON only, one task that runs a registered chunk function.

Start a worker with the broker in the environment::

    PAIRS_CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \\
        celery -A pairs_platform.parallel.celery_app worker -Q pairs_parallel -c 1
"""
from __future__ import annotations

import os

from celery import Celery

from pairs_platform.parallel.backends import BROKER_ENV, DEFAULT_BROKER, RESULT_BACKEND_ENV
from pairs_platform.parallel.tasks import run_encoded

TASK_NAME = "pairs_platform.parallel.run_chunk"


def make_app(broker_url: str, result_backend: str) -> Celery:
    """A Celery app on ``broker_url`` with results in ``result_backend``, accepting JSON only."""
    app = Celery("pairs_platform.parallel", broker=broker_url, backend=result_backend, set_as_current=False)
    app.conf.update(task_serializer="json", result_serializer="json", accept_content=["json"],
                    result_accept_content=["json"], task_acks_late=True, worker_prefetch_multiplier=1,
                    result_expires=3600, broker_connection_retry_on_startup=True)
    app.task(name=TASK_NAME)(run_encoded)
    return app


_broker = os.environ.get(BROKER_ENV, DEFAULT_BROKER)
app = make_app(_broker, os.environ.get(RESULT_BACKEND_ENV) or _broker)
