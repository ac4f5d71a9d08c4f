"""Fan heavy work out in chunks: one ``parallel_map`` over a local or a Celery backend (no Dagster here).

Work is split into chunks (formation windows, parameter sets), never Dagster partitions. A chunk
function is a module-level function of ``pairs_platform`` registered with :func:`parallel_task` and
named on the wire by its import path; chunks and results travel in the safe JSON format of
:mod:`pairs_platform.parallel.codec`. See docs/scale.md.
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from pairs_platform.parallel.backends import (
    BACKEND_KINDS, BROKER_ENV, QUEUE_ENV, RESULT_BACKEND_ENV, Backend, CeleryBackend, LocalBackend, backend_named,
)
from pairs_platform.parallel.codec import CodecError, decode, encode
from pairs_platform.parallel.tasks import call_reference, parallel_task, resolve_task, task_path

__all__ = ["BACKEND_KINDS", "BROKER_ENV", "QUEUE_ENV", "RESULT_BACKEND_ENV", "Backend", "CeleryBackend", "CodecError",
           "LocalBackend", "backend_named", "call_reference", "chunked", "decode", "encode", "parallel_map", "parallel_task",
           "resolve_task", "task_path"]


def parallel_map(func: Callable[[Any], Any] | str, chunks: Sequence[Any], backend: Backend | None = None) -> list:
    """``[func(chunk) for chunk in chunks]`` on ``backend`` (default: in this process), in chunk order.

    ``func`` is a registered chunk function or its ``"module:function"`` path.
    """
    path = func if isinstance(func, str) else task_path(func)
    resolve_task(path)  # fail here, not on a worker, for an unregistered function
    return (backend or LocalBackend()).map(path, list(chunks))


def chunked(n_items: int, n_chunks: int) -> list[range]:
    """``n_items`` positions split into at most ``n_chunks`` contiguous, near-equal, non-empty ranges."""
    if n_chunks < 1:
        raise ValueError(f"n_chunks must be >= 1, got {n_chunks}")
    bounds = [round(i * n_items / min(n_chunks, max(n_items, 1))) for i in range(min(n_chunks, max(n_items, 1)) + 1)]
    return [range(a, b) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
