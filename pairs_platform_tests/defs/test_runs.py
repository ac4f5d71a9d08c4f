"""Runs a script launches are the code location's runs: listed under their job, progress reported."""
import shutil
from pathlib import Path

import dagster as dg

from pairs_platform.defs.runs import LOCATION_MODULE, RunRequest, launch_run


def test_a_launched_run_carries_its_code_location_and_reports_each_step(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path / "data"))
    from pairs_platform.defs.definitions import build_definitions

    lines: list[str] = []
    selection = (dg.AssetKey("instruments"), dg.AssetKey(["raw_prices", "equity"]))
    with dg.DagsterInstance.get() as instance:
        run = launch_run(instance, build_definitions(), RunRequest("pairs_pipeline", "2022-03-01", "2022-03-03",
                                                                  asset_selection=selection), log=lines.append)
        label = f"__repository__@{LOCATION_MODULE}"
        under_job = instance.get_runs(filters=dg.RunsFilter(job_name="pairs_pipeline",  # the job page's query
                                                            tags={".dagster/repository": label}))
    assert run.status == dg.DagsterRunStatus.SUCCESS and [r.run_id for r in under_job] == [run.run_id]
    assert run.remote_job_origin.repository_origin.get_label() == label
    assert run.job_code_origin is not None and run.job_name == "pairs_pipeline"
    assert run.tags["dagster/asset_partition_range_end"] == "2022-03"  # the month of prices holding the session
    assert lines[0].startswith(f"run {run.run_id} of job pairs_pipeline: 2 steps")
    assert [line.split(" (")[0].strip() for line in lines[1:]] == ["instruments succeeded",
                                                                  "raw_prices__equity succeeded"]
    assert lines[-1].endswith("s)") and "(2/2, " in lines[-1]
