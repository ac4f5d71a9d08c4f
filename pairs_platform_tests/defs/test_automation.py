"""Schedules and sensors evaluated for real against an instance."""
import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg

from pairs_platform_tests.defs.graph_support import END

from pairs_platform.defs.execution.sensors import paper_on_new_targets
from pairs_platform.defs.models.schedules import weekly_retrain
from pairs_platform.defs.trading.schedules import daily_after_close
from pairs_platform.defs.definitions import build_definitions

NY = ZoneInfo("America/New_York")


def _tick(when: dt.datetime):
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=when,
                                            repository_def=build_definitions().get_repository_def())
        return daily_after_close.evaluate_tick(context)


def test_daily_schedule_materializes_that_session_after_the_close():
    data = _tick(dt.datetime(2022, 12, 27, 18, 30, tzinfo=NY))
    assert [r.partition_key for r in data.run_requests] == ["2022-12"]  # the month of prices holding it
    assert data.run_requests[0].run_key == "daily-2022-12-27"


def test_daily_schedule_skips_exchange_holidays():
    data = _tick(dt.datetime(2022, 12, 26, 18, 30, tzinfo=NY))  # Christmas observed
    assert not data.run_requests and "not a trading session" in data.skip_message


def test_schedules_and_sensor_target_jobs_of_the_definitions():
    jobs = {job.name for job in build_definitions().jobs}
    assert {"pairs_pipeline", "daily_pipeline", "retrain_models", "paper_execution", "live_execution"} <= jobs
    assert daily_after_close.job_name == "daily_pipeline"
    assert weekly_retrain.job_name == "retrain_models"
    assert paper_on_new_targets.job_name == "paper_execution"


def test_sensor_launches_paper_execution_for_the_latest_target_session(pipeline):
    _, instance, _, _ = pipeline
    context = dg.build_sensor_context(instance=instance, definitions=pipeline[0])
    data = paper_on_new_targets.evaluate_tick(context)
    assert len(data.run_requests) == 1
    request = data.run_requests[0]
    assert request.partition_key == END
    assert request.run_key.startswith(f"paper-{END}-")  # one run per materialization of the targets
    # the cursor now points past that event: the next tick launches nothing new
    again = paper_on_new_targets.evaluate_tick(
        dg.build_sensor_context(instance=instance, definitions=pipeline[0], cursor=data.cursor))
    assert not again.run_requests
