"""The production topology as native processes on loopback (docs/deploy.md, "Deploy test").

PostgreSQL (a private cluster of the machine's PostgreSQL binaries, so restarting it disturbs no
one else) holds the Dagster instance, the MLflow store and the ledger; RabbitMQ (a private vhost)
is the Celery broker; one gRPC code server, one webserver, one daemon, two Celery workers and one
MLflow server share one asset store. The instance is configured by ``docker/dagster.yaml`` and
the executor by ``docker/celery.yaml``: the files the containers use.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import psycopg2

from pairs_platform_tests.deploy.processes import Processes, free_port

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCATION_MODULE = "pairs_platform.defs"
LOCATION_NAME = "pairs_platform"
RABBITMQ = "guest:guest@127.0.0.1:5672"
WORKERS = ("worker1", "worker2")


def _as_postgres(argv: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the ``postgres`` user when we are root."""
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian layout)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise FileNotFoundError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin "
                                "(apt-get install postgresql)")
    return Path(found[-1]).parent


@dataclass(frozen=True)
class Ports:
    postgres: int
    grpc: int
    webserver: int
    mlflow: int

    @classmethod
    def free(cls) -> "Ports":
        return cls(free_port(), free_port(), free_port(), free_port())


class Stack:
    """Every service of the deployment, started and health-checked; ``stop`` ends them all."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ports = Ports.free()
        self.vhost = f"pairs_deploy_{uuid.uuid4().hex[:8]}"
        self.home = root / "dagster_home"
        self.procs = Processes(root / "logs", self._environment())
        self.timings: dict[str, float] = {}  # seconds each service took to become healthy

    # --- environment -------------------------------------------------------------------------
    def pg_url(self, database: str, driver: str = "postgresql") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.ports.postgres}/{database}"

    def _environment(self) -> dict[str, str]:
        data = self.root / "data"
        return {**os.environ,
                "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                "PYTHONPATH": str(REPO), "DAGSTER_HOME": str(self.home),
                "PAIRS_CELERY_CONFIG": str(REPO / "docker" / "celery.yaml"),
                "DAGSTER_PG_USERNAME": "postgres", "DAGSTER_PG_PASSWORD": "trust-auth-unused",
                "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(self.ports.postgres),
                "DAGSTER_PG_DB": "dagster",
                "DAGSTER_CELERY_BROKER_URL": f"pyamqp://{RABBITMQ}/{self.vhost}",
                "DAGSTER_CELERY_BACKEND_URL": "rpc://",
                "PAIRS_PARTITIONS_END": "2022-12-28",  # the bundled data's last session, as `make demo`
                "PAIRS_DATA_DIR": str(data), "PAIRS_ASSET_STORE": str(data / "assets"),
                "PAIRS_LEDGER_URL": self.pg_url("ledger", "postgresql+psycopg2"),
                "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{self.ports.mlflow}",
                "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}

    def _write_instance(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "docker" / "dagster.yaml", self.home / "dagster.yaml")
        (self.home / "workspace.yaml").write_text(
            "load_from:\n  - grpc_server:\n      host: 127.0.0.1\n"
            f"      port: {self.ports.grpc}\n      location_name: {LOCATION_NAME}\n")

    # --- PostgreSQL --------------------------------------------------------------------------
    def init_postgres(self) -> None:
        pgdata = self.root / "pgdata"
        pgdata.mkdir()
        if os.geteuid() == 0:
            shutil.chown(pgdata, "postgres", "postgres")
        subprocess.run(_as_postgres([str(postgres_bin() / "initdb"), "-D", str(pgdata), "-U", "postgres",
                                     "--auth=trust", "-E", "UTF8"]), check=True, capture_output=True)

    def start_postgres(self) -> float:
        self.procs.start("postgres", _as_postgres([
            str(postgres_bin() / "postgres"), "-D", str(self.root / "pgdata"), "-p", str(self.ports.postgres),
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={self.root / 'pgdata'}"]))
        return self.procs.wait("postgres", lambda: psycopg2.connect(self.pg_url("postgres")).close() is None, 60)

    def stop_postgres(self) -> None:
        self.procs.stop("postgres", sig=signal.SIGINT)  # fast shutdown: a clean checkpoint

    def create_databases(self) -> None:
        conn = psycopg2.connect(self.pg_url("postgres"))
        conn.autocommit = True
        with conn.cursor() as cur:
            for name in ("dagster", "mlflow", "ledger"):
                cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()

    # --- RabbitMQ ----------------------------------------------------------------------------
    def create_vhost(self) -> None:
        """A private vhost, so the test's queues never meet another user's."""
        self.procs.run(["rabbitmqctl", "add_vhost", self.vhost])
        self.procs.run(["rabbitmqctl", "set_permissions", "-p", self.vhost, "guest", ".*", ".*", ".*"])

    def delete_vhost(self) -> None:
        subprocess.run(["rabbitmqctl", "delete_vhost", self.vhost], capture_output=True, timeout=60)

    # --- the services ------------------------------------------------------------------------
    def start_mlflow(self) -> None:
        """The tracking server's own entrypoint (``mlflow db upgrade``, then ``mlflow server``)."""
        port = self.ports.mlflow
        settings = {
            "MLFLOW_BACKEND_STORE_URI": self.pg_url("mlflow", "postgresql+psycopg2"), "MLFLOW_HOST": "127.0.0.1",
            "MLFLOW_PORT": str(port), "MLFLOW_WORKERS": "1",
            "MLFLOW_ARTIFACTS_DESTINATION": str(self.root / "mlflow-artifacts"),
            "MLFLOW_ALLOWED_HOSTS": f"127.0.0.1:{port},localhost:{port}"}
        self.procs.start("mlflow", ["sh", str(REPO / "mlflow" / "entrypoint.sh")], settings)

    def start_grpc(self) -> None:
        self.procs.start("grpc", [str(BIN / "dagster"), "api", "grpc", "-m", LOCATION_MODULE,
                                  "-h", "127.0.0.1", "-p", str(self.ports.grpc)])

    def grpc_healthy(self) -> bool:
        return subprocess.run([str(BIN / "dagster"), "api", "grpc-health-check", "-h", "127.0.0.1",
                               "-p", str(self.ports.grpc)], env=self.procs.env, capture_output=True,
                              timeout=30).returncode == 0

    def start_webserver(self) -> None:
        self.procs.start("webserver", [str(BIN / "dagster-webserver"), "-w", str(self.home / "workspace.yaml"),
                                       "-h", "127.0.0.1", "-p", str(self.ports.webserver)])

    def start_daemon(self) -> None:
        self.procs.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", str(self.home / "workspace.yaml")])

    def daemon_live(self) -> bool:
        return subprocess.run([str(BIN / "dagster-daemon"), "liveness-check"], env=self.procs.env,
                              capture_output=True, timeout=60).returncode == 0

    def start_worker(self, name: str) -> None:
        self.procs.start(name, [str(BIN / "dagster-celery"), "worker", "start", "-A", "dagster_celery.app",
                                "-y", str(REPO / "docker" / "celery.yaml"), "-q", "dagster",
                                "-n", name, "--", "--concurrency", "1"])

    def workers_online(self, names=WORKERS) -> bool:
        out = subprocess.run([str(BIN / "celery"), "-b", self.procs.env["DAGSTER_CELERY_BROKER_URL"],
                              "inspect", "ping", "--timeout", "3"], env=self.procs.env,
                             capture_output=True, text=True, timeout=60).stdout
        return all(f"{name}@" in out for name in names)

    # --- whole stack -------------------------------------------------------------------------
    def start(self) -> dict[str, float]:
        """Brings every service up (all at once: each retries its peers); returns the seconds
        each took to become healthy, counted from the start of the services."""
        self._write_instance()
        self.init_postgres()
        timings = {"postgres": self.start_postgres()}
        self.create_databases()
        self.create_vhost()
        # One process creates the instance's tables before the services race to (compose: the
        # `migrate` service does the same).
        self.procs.run([str(BIN / "dagster"), "instance", "migrate"], timeout=300)
        self.launch_services()
        started = time.monotonic()
        for name, check in self.health_checks().items():
            self.procs.wait(name, check, 240)
            timings[name] = round(time.monotonic() - started, 1)
        self.timings = timings
        return timings

    def launch_services(self) -> None:
        self.start_mlflow()
        self.start_grpc()
        for name in WORKERS:
            self.start_worker(name)
        self.start_webserver()
        self.start_daemon()

    def health_checks(self) -> dict[str, Callable[[], bool]]:
        """The probe of each service (the ones the compose file's healthchecks run)."""
        return {"mlflow": lambda: _http_ok(f"http://127.0.0.1:{self.ports.mlflow}/health"),
                "grpc": self.grpc_healthy,
                "webserver": lambda: _http_ok(f"http://127.0.0.1:{self.ports.webserver}/server_info"),
                "daemon": self.daemon_live,
                WORKERS[-1]: self.workers_online}

    def stop(self) -> None:
        """Every process by its id (PostgreSQL last), then the vhost; safe to call twice."""
        postgres = self.procs.running.pop("postgres", None)
        self.procs.stop_all()
        if postgres is not None:
            self.procs.running["postgres"] = postgres
            self.stop_postgres()
        self.delete_vhost()


def _http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.status == 200
