"""Backends that run chunk functions: in this process, a local process pool, or Celery workers.

Every backend has ``map(path, chunks) -> results`` in chunk order. Chunks cross a process boundary
only in the safe JSON wire format of :mod:`pairs_platform.parallel.codec` (the process pool's pipe
and the Celery broker carry JSON text, never a pickle of a chunk).
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

from pairs_platform.parallel.codec import decode, encode
from pairs_platform.parallel.tasks import resolve_task, run_encoded

BROKER_ENV = "PAIRS_CELERY_BROKER_URL"
RESULT_BACKEND_ENV = "PAIRS_CELERY_RESULT_BACKEND"
QUEUE_ENV = "PAIRS_CELERY_QUEUE"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_QUEUE = "pairs_parallel"
RPC_RESULTS = "rpc://"
"""Result backend with a RabbitMQ broker and no Redis: results come back as AMQP messages to the caller."""
BACKEND_KINDS = ("local", "celery")


class Backend(Protocol):
    """Runs a registered chunk function over chunks."""

    def map(self, path: str, chunks: Sequence[Any]) -> list:
        """The results of the chunk function at ``path`` on each chunk, in chunk order."""

    def close(self) -> None:
        """Releases workers this backend started (a no-op where it started none)."""


@dataclass
class LocalBackend:
    """In this process (``processes`` <= 1) or a pool of ``processes`` spawned worker processes.

    The pool is created on first use and kept until :meth:`close`; its workers start with the
    ``spawn`` method (no forked copy of compiled-kernel thread pools).
    """

    processes: int = 1
    _pool: ProcessPoolExecutor | None = field(default=None, init=False, repr=False)

    def map(self, path: str, chunks: Sequence[Any]) -> list:
        if self.processes <= 1:
            func = resolve_task(path)
            return [func(chunk) for chunk in chunks]
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"))
        futures = [self._pool.submit(run_encoded, path, encode(chunk)) for chunk in chunks]
        return [decode(f.result()) for f in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


@dataclass
class CeleryBackend:
    """Celery workers behind ``broker_url`` (Redis or RabbitMQ); results through ``result_backend``
    (Redis, or ``rpc://`` over a RabbitMQ broker; default: the broker, which must then be Redis).

    Workers run ``celery -A pairs_platform.parallel.celery_app worker -Q <queue>`` with the same
    environment (:data:`BROKER_ENV`, :data:`RESULT_BACKEND_ENV`). Messages and results are JSON.
    """

    broker_url: str = DEFAULT_BROKER
    result_backend: str | None = None
    queue: str = DEFAULT_QUEUE
    timeout: float = 3600.0

    def map(self, path: str, chunks: Sequence[Any]) -> list:
        from celery import group

        from pairs_platform.parallel.celery_app import TASK_NAME, make_app

        app = make_app(self.broker_url, self.result_backend or self.broker_url)
        jobs = group(app.signature(TASK_NAME, args=(path, encode(chunk)), queue=self.queue) for chunk in chunks)
        result = jobs.apply_async()
        try:
            # disable_sync_subtasks=False: the caller may itself be a Celery task (a Dagster step on a
            # dagster-celery worker); it waits on chunk workers of another queue and pool, never its own.
            return [decode(value) for value in result.get(timeout=self.timeout, disable_sync_subtasks=False)]
        finally:
            result.forget()

    def close(self) -> None:
        return None


def backend_named(kind: str, processes: int = 1, broker_url: str | None = None) -> Backend:
    """The backend ``kind`` ("local" or "celery"); Celery's URLs and queue default from the environment
    (:data:`BROKER_ENV`, :data:`RESULT_BACKEND_ENV` (default: a Redis broker itself, else ``rpc://``),
    :data:`QUEUE_ENV`)."""
    if kind == "local":
        return LocalBackend(processes)
    if kind == "celery":
        broker = broker_url or os.environ.get(BROKER_ENV, DEFAULT_BROKER)
        results = os.environ.get(RESULT_BACKEND_ENV) or (broker if broker.startswith("redis") else RPC_RESULTS)
        return CeleryBackend(broker, results, os.environ.get(QUEUE_ENV, DEFAULT_QUEUE))
    raise ValueError(f"parallel backend must be one of {BACKEND_KINDS}, got {kind!r}")
