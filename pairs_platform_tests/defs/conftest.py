"""A short but complete materialization of the graph, shared by the Dagster-layer tests."""
import shutil
from pathlib import Path

import dagster as dg
import pytest

from pairs_platform_tests.defs.graph_support import END, START, make_defs, run_range

@pytest.fixture(scope="session")
def pipeline(tmp_path_factory):
    """(defs, instance, root, result) after pairs_pipeline over START..END in a temporary
    DAGSTER_HOME configured by the project's own dagster.yaml."""
    root = tmp_path_factory.mktemp("platform")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(Path(__file__).resolve().parents[2] / "dagster.yaml", home / "dagster.yaml")
    mp = pytest.MonkeyPatch()
    mp.setenv("PAIRS_DATA_DIR", str(root))
    mp.setenv("DAGSTER_HOME", str(home))
    defs = make_defs(root)
    with dg.DagsterInstance.get() as instance:
        result = run_range(defs, instance, "pairs_pipeline", START, END)
        yield defs, instance, root, result
    mp.undo()
