"""Long-running processes of the deploy test: each in its own session, stopped by its process id.

A process started here leads its own process group (group id = its pid), so stopping it ends the
children it spawned too (a Celery worker's pool, the run workers of a gRPC server), and nothing
else on the machine. Logs go to ``<log_dir>/<name>.log``; a failed wait shows the log's tail.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Callable


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Path | None = None) -> float:
    """Polls ``check`` until true; returns the seconds it took, or raises naming ``what`` with the log."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            if check():
                return time.monotonic() - started
        except RuntimeError:
            raise
        except Exception:  # noqa: BLE001 - a service still starting refuses connections
            pass
        time.sleep(0.5)
    tail = log_tail(log) if log else ""
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s{tail}")


def log_tail(log: Path, lines: int = 40) -> str:
    if not log.exists():
        return f"\n(no log at {log})"
    text = log.read_text(errors="replace").splitlines()[-lines:]
    return f"\n--- last {len(text)} lines of {log} ---\n" + "\n".join(text)


class Processes:
    """Named processes sharing one environment; ``stop_all`` ends every one still running."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        self.log_dir = log_dir
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}
        log_dir.mkdir(parents=True, exist_ok=True)

    def log(self, name: str) -> Path:
        return self.log_dir / f"{name}.log"

    def start(self, name: str, argv: list[str], extra_env: dict[str, str] | None = None) -> subprocess.Popen:
        if name in self.running and self.running[name].poll() is None:
            raise RuntimeError(f"process {name!r} is already running (pid {self.running[name].pid})")
        with open(self.log(name), "ab") as out:
            proc = subprocess.Popen(argv, env={**self.env, **(extra_env or {})}, stdout=out, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, start_new_session=True)
        self.running[name] = proc
        return proc

    def wait(self, name: str, check: Callable[[], bool], timeout: float) -> float:
        """Seconds until ``check`` holds for the running process ``name``; fails at once if it exits."""
        proc = self.running[name]

        def ready() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with status {proc.returncode}{log_tail(self.log(name))}")
            return check()

        return wait_until(ready, timeout, name, self.log(name))

    def pid(self, name: str) -> int:
        return self.running[name].pid

    def kill(self, name: str) -> None:
        """SIGKILL to the process group: a crash, no clean shutdown."""
        proc = self.running.pop(name)
        _signal_group(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)

    def stop(self, name: str, sig: int = signal.SIGTERM, timeout: float = 30) -> None:
        """``sig`` to the process group, then SIGKILL if it has not ended after ``timeout`` s."""
        proc = self.running.pop(name, None)
        if proc is None:
            return
        _signal_group(proc.pid, sig)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        _signal_group(proc.pid, signal.SIGKILL)  # leftovers of the group (pool children)

    def stop_all(self) -> None:
        for name in reversed(list(self.running)):
            self.stop(name)

    def run(self, argv: list[str], timeout: float = 120) -> subprocess.CompletedProcess:
        """A short command with the shared environment; raises with its output when it fails."""
        done = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
        return done


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        pass
