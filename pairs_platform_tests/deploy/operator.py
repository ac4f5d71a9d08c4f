"""What an operator does through the webserver, as the UI does it: GraphQL calls.

Runs are submitted to the instance (queued, then launched by the daemon through the gRPC code
server), never executed in the test process.
"""
from __future__ import annotations

import time

from dagster import DagsterRunStatus
from dagster_graphql import DagsterGraphQLClient

from pairs_platform.defs import defs
from pairs_platform.defs.shared.partitions import session_range_tags

REPOSITORY = "__repository__"
FINISHED = {DagsterRunStatus.SUCCESS, DagsterRunStatus.FAILURE, DagsterRunStatus.CANCELED}

SCHEDULE_DRY_RUN = """
mutation($selector: ScheduleSelector!, $timestamp: Float) {
  scheduleDryRun(selectorData: $selector, timestamp: $timestamp) {
    __typename
    ... on DryRunInstigationTick { evaluationResult { skipReason error { message }
                                                      runRequests { runKey tags { key value } } } }
    ... on PythonError { message }
  }
}"""

START_SENSOR = """
mutation($selector: SensorSelector!) {
  startSensor(sensorSelector: $selector) {
    __typename
    ... on Sensor { sensorState { status } }
    ... on PythonError { message }
  }
}"""


# One read from each storage the webserver holds a pooled connection to: runs, event log, schedules.
READ_EVERY_STORAGE = """
query($runId: ID!, $sensor: SensorSelector!) {
  runOrError(runId: $runId) { __typename ... on Run { status eventConnection { events { __typename } } } }
  sensorOrError(sensorSelector: $sensor) { __typename ... on Sensor { sensorState { status } } }
  instance { daemonHealth { allDaemonStatuses { daemonType healthy } } }
}"""


class Operator:
    """The webserver's GraphQL API for one code location."""

    def __init__(self, port: int, location: str) -> None:
        self.client = DagsterGraphQLClient("127.0.0.1", port_number=port)
        self.location = location

    def submit_range(self, job: str, start: str, end: str, run_config: dict) -> str:
        """Queues ``job`` over the sessions ``start``..``end`` (one ranged run); returns its id."""
        return self.client.submit_job_execution(
            job, repository_location_name=self.location, repository_name=REPOSITORY,
            run_config=run_config, tags=session_range_tags(defs.resolve_job_def(job).partitions_def, start, end))

    def wait_finished(self, run_id: str, timeout: float) -> DagsterRunStatus:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            status = self.client.get_run_status(run_id)
            if status in FINISHED:
                return status
            time.sleep(2)
        raise TimeoutError(f"run {run_id} not finished after {timeout:.0f} s (last status {status})")

    def _selector(self, key: str, name: str) -> dict:
        return {"repositoryName": REPOSITORY, "repositoryLocationName": self.location, key: name}

    def schedule_dry_run(self, schedule: str, timestamp: float) -> dict:
        """The schedule's evaluation at ``timestamp`` on the code server: run requests or a skip."""
        answer = self.client._execute(SCHEDULE_DRY_RUN, {  # noqa: SLF001 - the client's own GraphQL call
            "selector": self._selector("scheduleName", schedule), "timestamp": timestamp})["scheduleDryRun"]
        if answer["__typename"] != "DryRunInstigationTick":
            raise RuntimeError(f"scheduleDryRun of {schedule}: {answer}")
        return answer["evaluationResult"]

    def start_sensor(self, sensor: str) -> str:
        answer = self.client._execute(START_SENSOR, {  # noqa: SLF001
            "selector": self._selector("sensorName", sensor)})["startSensor"]
        if answer["__typename"] != "Sensor":
            raise RuntimeError(f"startSensor {sensor}: {answer}")
        return answer["sensorState"]["status"]

    def read_every_storage(self, run_id: str, sensor: str) -> dict:
        """Reads the run, its events and a sensor's state; raises if any storage fails."""
        return self.client._execute(READ_EVERY_STORAGE, {  # noqa: SLF001
            "runId": run_id, "sensor": self._selector("sensorName", sensor)})
