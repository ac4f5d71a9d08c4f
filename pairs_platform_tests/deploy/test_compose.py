"""The compose file, validated offline by Compose itself (``docker-compose config``: no image pulled).

Skipped when no Compose is installed, except under ``CI=true`` (``.ci/run`` installs it).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
import yaml

DOCKER = Path(__file__).resolve().parents[2] / "docker"
SECRETS = {"POSTGRES_PASSWORD": "compose-check-pg", "RABBITMQ_PASSWORD": "compose-check-mq"}
ONE_SHOT = {"migrate"}


def _compose() -> list[str]:
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"],
                                                  capture_output=True).returncode == 0:
        return ["docker", "compose"]
    reason = "no docker-compose / docker compose to validate docker/docker-compose.yml (apt-get install docker-compose)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: required)")
    pytest.skip(reason)


def _config(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    # An empty --env-file: a developer's docker/.env must not fill in what the test leaves out.
    with tempfile.NamedTemporaryFile(suffix=".env") as empty:
        return subprocess.run([*_compose(), "--env-file", empty.name, "-f", str(DOCKER / "docker-compose.yml"),
                               "config"], cwd=DOCKER, env={**clean, **env}, capture_output=True, text=True,
                              timeout=120)


@pytest.fixture(scope="module")
def resolved() -> dict:
    done = _config(SECRETS)
    assert done.returncode == 0, done.stderr
    return yaml.safe_load(done.stdout)


def test_every_long_running_service_has_a_healthcheck(resolved):
    services = resolved["services"]
    assert {"postgres", "rabbitmq", "mlflow", "user_code", "webserver", "daemon", "worker",
            "chunk_worker"} <= set(services)
    missing = [name for name, spec in services.items() if name not in ONE_SHOT and "healthcheck" not in spec]
    assert not missing, f"services without a healthcheck: {missing}"


def test_secrets_come_only_from_the_environment(resolved):
    text = yaml.safe_dump(resolved)
    for value in SECRETS.values():
        assert value in text  # interpolated from the environment
    for name in SECRETS:
        done = _config({k: v for k, v in SECRETS.items() if k != name})
        assert done.returncode != 0 and name in done.stderr, f"compose accepted a missing {name}"


def test_the_code_server_serves_the_platform_and_workers_share_the_executor_config(resolved):
    services = resolved["services"]
    assert services["user_code"]["command"][:5] == ["dagster", "api", "grpc", "-m", "pairs_platform.defs"]
    assert "/opt/dagster/dagster_home/celery.yaml" in services["worker"]["command"]
    for name in ("user_code", "worker", "daemon", "webserver"):
        assert services[name]["environment"]["DAGSTER_CELERY_BROKER_URL"].startswith("pyamqp://")


def test_steps_send_heavy_chunks_to_the_chunk_workers_queue(resolved):
    """Steps (run on ``worker``) fan out on Celery; ``chunk_worker`` consumes that queue on the same
    broker, with its own pool (never the step workers' queue: a step waits for its chunks)."""
    services = resolved["services"]
    chunk = services["chunk_worker"]
    command = chunk["command"]
    assert command[:4] == ["celery", "-A", "pairs_platform.parallel.celery_app", "worker"]
    queue = command[command.index("-Q") + 1]
    assert queue == chunk["environment"]["PAIRS_CELERY_QUEUE"] != "dagster"
    assert chunk["environment"]["NUMBA_NUM_THREADS"] == "1"
    for name in ("worker", "user_code"):  # steps run on the workers (celery executor) or the run worker
        env = services[name]["environment"]
        assert env["PAIRS_PARALLEL_BACKEND"] == "celery" and env["PAIRS_CELERY_QUEUE"] == queue
        assert env["PAIRS_CELERY_BROKER_URL"] == chunk["environment"]["PAIRS_CELERY_BROKER_URL"]
        assert env["PAIRS_CELERY_BROKER_URL"].startswith("pyamqp://")
        assert "@rabbitmq:5672" in env["PAIRS_CELERY_BROKER_URL"]
        assert env["PAIRS_CELERY_RESULT_BACKEND"] == "rpc://"
