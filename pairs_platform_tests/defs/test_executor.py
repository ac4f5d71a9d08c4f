"""The embedded default runs a run's steps in its own process; a run may still ask for multiprocess,
and the run config of Dagster's default executor keeps working."""
import pytest
from dagster._core.system_config.objects import ResolvedRunConfig

from pairs_platform.defs import defs
from pairs_platform.defs.definitions import build_executor


def _engine(run_config: dict) -> dict:
    return ResolvedRunConfig.build(defs.resolve_job_def("daily_pipeline"), run_config).execution.execution_engine_config


def test_a_run_that_does_not_choose_runs_in_process():
    assert list(_engine({})) == ["in_process"]


@pytest.mark.parametrize("kind", ["in_process", "multiprocess"])
def test_a_run_may_choose_as_with_dagsters_default_executor(kind):
    assert list(_engine({"execution": {"config": {kind: {}}}})) == [kind]


def test_celery_settings_choose_the_celery_executor(monkeypatch, tmp_path):
    pytest.importorskip("dagster_celery")
    settings = tmp_path / "celery.yaml"
    settings.write_text("execution:\n  config:\n    broker: pyamqp://guest@127.0.0.1:5672//\n")
    monkeypatch.setenv("PAIRS_CELERY_CONFIG", str(settings))
    assert build_executor().name == "celery"
