"""Start and stop local Celery chunk workers (tests, benchmarks, a laptop): one process group each."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from pairs_platform.parallel.backends import BROKER_ENV, RESULT_BACKEND_ENV, CeleryBackend

ONE_THREAD = {name: "1" for name in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                                     "MKL_NUM_THREADS")}
"""Worker environment: one compute thread per worker process, so N processes use N cores."""


def start_celery_workers(backend: CeleryBackend, concurrency: int, cwd: str | Path | None = None,
                         ready_timeout: float = 120.0) -> subprocess.Popen:
    """A ``celery worker`` with ``concurrency`` processes on ``backend``'s broker and queue, ready to work.

    The worker runs in its own session (process group) with :data:`ONE_THREAD`; stop it with
    :func:`stop_celery_workers`. Raises ``RuntimeError`` if it does not answer a ping in time.
    """
    root = Path(cwd) if cwd else Path(__file__).resolve().parents[2]
    env = {**os.environ, **ONE_THREAD, BROKER_ENV: backend.broker_url,
           RESULT_BACKEND_ENV: backend.result_backend or backend.broker_url,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    name = f"{backend.queue}-{os.getpid()}@{socket.gethostname()}"
    cmd = [sys.executable, "-m", "celery", "-A", "pairs_platform.parallel.celery_app", "worker", "-Q", backend.queue,
           "-c", str(concurrency), "-P", "prefork", "-n", name, "-l", "warning", "--without-gossip", "--without-mingle"]
    worker = subprocess.Popen(cmd, env=env, cwd=root, start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        _wait_ready(backend, name, worker, ready_timeout)
    except BaseException:
        stop_celery_workers(worker)
        raise
    return worker


def _wait_ready(backend: CeleryBackend, name: str, worker: subprocess.Popen, timeout: float) -> None:
    from pairs_platform.parallel.celery_app import make_app

    app = make_app(backend.broker_url, backend.result_backend or backend.broker_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the Celery worker {name} exited with {worker.returncode}; see its output above")
        if app.control.ping(destination=[name], timeout=1.0):
            return
    raise RuntimeError(f"the Celery worker {name} did not answer a ping within {timeout:.0f} s")


def stop_celery_workers(worker: subprocess.Popen, timeout: float = 30.0) -> None:
    """Warm shutdown of a worker from :func:`start_celery_workers` (its process group), then a kill."""
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
