"""House rules that keep the architecture honest, and the workspace the CLI loads.

The core packages form layers; a package may import only the packages its row of ``ALLOWED`` names
(plus itself), so dependencies point one way and cannot cycle:

    conventions, identifiers, settings  <-  data  <-  pairs  <-  signals  <-  ml, risk  <-  backtest
    <-  reporting  <-  tracking, strategy, research;   ibkr (IB client, settings, contracts, price
    source) <- data;   execution (order manager, risk engine, brokers, ledger) <- risk, data, ibkr;
    cli <- execution;   nothing imports defs.
"""
import ast
import graphlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "pairs_platform"
BASE = {"conventions", "identifiers", "settings", "paths"}
ALLOWED: dict[str, set[str]] = {
    "conventions": set(), "identifiers": set(), "settings": set(), "paths": set(),
    "data": BASE,
    "parallel": BASE,
    "pairs": BASE | {"data", "parallel"},
    "signals": BASE | {"data", "pairs"},
    "ml": BASE | {"data", "pairs", "signals"},
    "risk": BASE | {"data", "pairs", "signals"},
    "backtest": BASE | {"data", "pairs", "signals", "risk", "parallel"},
    "reporting": BASE | {"data", "pairs", "signals", "risk", "backtest"},
    "tracking": BASE | {"data", "pairs", "signals", "ml", "risk", "backtest", "reporting"},
    "strategy": BASE | {"data", "pairs", "signals", "risk", "backtest"},
    "research": BASE | {"data", "pairs", "signals", "ml", "risk", "backtest", "reporting"},
    "ibkr": BASE | {"data"},
    "execution": BASE | {"data", "risk", "ibkr"},
    "cli": BASE | {"data", "risk", "execution"},
    "store": BASE | {"data", "pairs", "signals", "ml", "parallel"},
    "alerts": BASE | {"execution", "risk"},
    "instance": set(),  # Dagster instance plugins named in dagster.yaml: dagster only, no code location
    "intraday_demo": BASE | {"data", "pairs", "signals", "risk", "backtest", "execution"},
    "api": BASE | {"data", "pairs", "signals", "ml", "risk", "backtest", "reporting", "execution", "store", "strategy",
            "alerts", "tracking"},
}
# Known, documented exceptions to the table (module -> packages it may import on top of its row).
EXCEPTIONS: dict[str, set[str]] = {}
MAX_FILE_LINES = 400       # a file has fewer lines than this
MAX_FUNCTION_LINES = 50    # code lines of a function, its docstring excluded (the guide: under ~50)
EXEMPT_FUNCTIONS: set[str] = set()  # "path.py:function" of compiled kernels, if one ever must be longer
MAX_PARAMETERS = 8  # parameters of a function (self and cls not counted); group more in a named record
# Functions that take more, each with why. New code groups its parameters (e.g. risk.checks.PairEntry).
EXEMPT_PARAMETERS: dict[str, str] = {
    "pairs_platform/pairs/_adf_kernel.py:coint_kernel": "numba kernel: flat arrays in",
    "pairs_platform/backtest/kernel.py:_simulate_grid_flat": "numba kernel: flat arrays in",
    "pairs_platform/pairs/selection.py:select_pairs": "documented research API, keyword options with defaults",
    "pairs_platform/ml/training.py:train_entry_filter": "documented research API, keyword options with defaults",
    "pairs_platform/backtest/optimize.py:walk_forward_search": "documented research API, keyword options",
    "pairs_platform/backtest/optimize.py:_chain_oos": "walk_forward_search's options passed through",
    "pairs_platform/backtest/engine.py:run_backtest": "documented research API, keyword options with defaults",
    "pairs_platform/backtest/engine.py:run_grid": "run_backtest's options for many parameter sets",
    "pairs_platform/risk/sizing.py:size_pair": "plain-Python entry of the compiled sizing, keyword options",
    "pairs_platform/data/instruments.py:_row": "one instrument row: its columns, keyword defaults",
    "pairs_platform/reporting/summary.py:format_summary": "the summary's sections, keyword options",
    "pairs_platform/defs/trading/assets.py:performance_report": "a Dagster asset: its parameters are its inputs",
}


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _core_files():
    for path in sorted(CORE.rglob("*.py")):
        parts = path.relative_to(CORE).parts
        if (len(parts) > 1 and parts[0] != "defs") or (len(parts) == 1 and parts[0] != "__init__.py"):
            yield parts[0].removesuffix(".py"), path


def test_only_the_defs_package_imports_dagster():
    """defs (the code location) and instance (storage plugins the webserver and daemon load without it)."""
    offenders = []
    for path in (ROOT / "pairs_platform").rglob("*.py"):
        if {"defs", "instance"} & set(path.relative_to(ROOT / "pairs_platform").parts):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.split(".")[0].startswith("dagster")]
    assert not offenders, offenders


def test_dagster_definitions_validate_accepts_the_workspace(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = {**os.environ, "DAGSTER_HOME": str(home), "PAIRS_DATA_DIR": str(tmp_path / "data")}
    dagster = Path(sys.executable).parent / "dagster"
    done = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Validation successful" in done.stdout + done.stderr


def test_the_allowed_dependency_table_has_no_cycle():
    graphlib.TopologicalSorter(ALLOWED).static_order()  # raises CycleError on a cycle


def test_core_packages_import_only_the_layers_below_them():
    offenders = []
    for package, path in _core_files():
        if package not in ALLOWED:
            offenders.append(f"{path.relative_to(ROOT)}: package {package!r} has no row in ALLOWED; add one")
            continue
        for name in _imports(path):
            parts = name.split(".")
            if parts[0] != "pairs_platform" or len(parts) < 2 or parts[1] == package:
                continue
            allowed = ALLOWED[package] | EXCEPTIONS.get(str(path.relative_to(ROOT)), set())
            if parts[1] not in allowed:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}: {package} may import only "
                                 f"{sorted(ALLOWED[package])}")
    assert not offenders, "\n".join(offenders)


def test_files_and_functions_stay_small():
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        source = path.read_text()
        lines = len(source.splitlines())
        if lines >= MAX_FILE_LINES:
            offenders.append(f"{path.relative_to(ROOT)}: {lines} lines (limit {MAX_FILE_LINES}); split it")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = node.end_lineno - node.lineno + 1
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                length -= first.end_lineno - first.lineno + 1
            where = f"{path.relative_to(ROOT)}:{node.name}"
            if length > MAX_FUNCTION_LINES and where not in EXEMPT_FUNCTIONS:
                offenders.append(f"{where}: {length} code lines (limit {MAX_FUNCTION_LINES}); split it")
    assert not offenders, "\n".join(offenders)


def _parameter_count(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    args = node.args
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    return len(names) - (1 if names and names[0] in ("self", "cls") else 0)


def test_parameter_lists_stay_short():
    offenders, seen = [], set()
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or _parameter_count(node) <= MAX_PARAMETERS:
                continue
            where = f"{path.relative_to(ROOT)}:{node.name}"
            seen.add(where)
            if where not in EXEMPT_PARAMETERS:
                offenders.append(f"{where}: {_parameter_count(node)} parameters (limit {MAX_PARAMETERS}); "
                                 "group them in a named tuple or dataclass")
    stale = sorted(set(EXEMPT_PARAMETERS) - seen)
    assert not offenders and not stale, "\n".join(offenders + [f"{w}: exempt but short now; drop it" for w in stale])
