"""Snapshot of the Dagster graph: every asset, check, job, schedule and sensor, as reviewed text.

A change of the graph (a new asset, a renamed group, a job selecting more, a schedule's cron) fails
this test with a readable diff until the snapshot is regenerated and the diff reviewed:

    UPDATE_DEFS_SNAPSHOT=1 PYTHONPATH=$PWD python -m pytest pairs_platform_tests/defs/test_defs_snapshot.py
"""
import difflib
import json
import os
from pathlib import Path

from pairs_platform.defs.definitions import build_definitions

SNAPSHOT = Path(__file__).with_name("defs_snapshot.json")
UPDATE_ENV = "UPDATE_DEFS_SNAPSHOT"


def _partitions(partitions_def) -> str | None:
    if partitions_def is None:
        return None
    cron = getattr(partitions_def, "cron_schedule", "")
    return f"{type(partitions_def).__name__}({cron}, {getattr(partitions_def, 'timezone', '')})"


def graph_snapshot(defs) -> dict:
    """Plain, sorted description of ``defs`` (what the snapshot file holds)."""
    graph = defs.resolve_asset_graph()
    checks: dict[str, list[str]] = {}
    for key in graph.asset_check_keys:
        checks.setdefault(key.asset_key.to_user_string(), []).append(key.name)
    assets = {spec.key.to_user_string(): {
        "group": spec.group_name, "partitions": _partitions(spec.partitions_def),
        "deps": sorted(dep.asset_key.to_user_string() for dep in spec.deps), "kinds": sorted(spec.kinds),
        "checks": sorted(checks.get(spec.key.to_user_string(), []))} for spec in defs.resolve_all_asset_specs()}
    jobs = {job.name: sorted(k.to_user_string() for k in defs.resolve_job_def(job.name).asset_layer.selected_asset_keys)
            for job in defs.jobs}
    schedules = {s.name: {"cron": s.cron_schedule, "timezone": s.execution_timezone, "job": s.job_name}
                 for s in defs.schedules}
    sensors = {s.name: {"job": s.job_name if s.has_jobs else None, "type": str(s.sensor_type.value)}  # alerts launch no job
               for s in defs.sensors}
    return {"assets": dict(sorted(assets.items())), "jobs": dict(sorted(jobs.items())),
            "schedules": dict(sorted(schedules.items())), "sensors": dict(sorted(sensors.items()))}


def test_the_graph_matches_its_reviewed_snapshot():
    current = json.dumps(graph_snapshot(build_definitions()), indent=2, sort_keys=False) + "\n"
    if os.environ.get(UPDATE_ENV) == "1":
        SNAPSHOT.write_text(current)
    expected = SNAPSHOT.read_text() if SNAPSHOT.exists() else ""
    diff = "".join(difflib.unified_diff(expected.splitlines(True), current.splitlines(True),
                                        "defs_snapshot.json (reviewed)", "build_definitions() (now)"))
    assert not diff, (f"The Dagster graph changed. Review the diff below; if intended, regenerate with "
                      f"{UPDATE_ENV}=1 python -m pytest {Path(__file__).name} and commit the snapshot.\n{diff}")
