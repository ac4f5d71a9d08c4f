"""The dashboard in headless Chromium: uvicorn serves a demo-like desk on a free loopback port, Chromium
dumps the DOM and takes a screenshot (kept under the test's tmp dir; its path is printed)."""
from __future__ import annotations

import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from desk_demo_state import TOKEN, build_demo_state

from pairs_platform.alerts import AlertManager, LogChannel, SqlAlertRecorder, stale_data


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REPO = Path(__file__).resolve().parents[2]


def _need_chromium() -> str:
    if CHROMIUM:
        return CHROMIUM
    reason = "chromium is not installed (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (CI=true: this test is required in CI)")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served_desk(tmp_path):
    """Base URL of uvicorn serving the demo-like desk; the server is stopped afterwards."""
    ledger, closes = build_demo_state(tmp_path / "data")
    manager = AlertManager([LogChannel()], SqlAlertRecorder(ledger.engine))
    manager.notify(stale_data(closes.index[-1].date(), closes.index[-1].date() + dt.timedelta(days=2), 1))
    ledger.close()
    port = _free_port()
    env = {**os.environ, "PAIRS_DATA_DIR": str(tmp_path / "data"), "PAIRS_API_TOKEN": TOKEN,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")]))}
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "pairs_platform.api", "--port", str(port)], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base + "/api/health", timeout=1).read()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"the server exited: {(tmp_path / 'server.log').read_text(errors='replace')[-2000:]}")
                time.sleep(0.5)
        yield base, closes
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def _chromium(binary: str, *args: str) -> subprocess.CompletedProcess:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--hide-scrollbars",
             "--no-first-run", "--disable-extensions", "--virtual-time-budget=5000"]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120)


def test_dashboard_in_headless_chromium(served_desk, tmp_path):
    binary = _need_chromium()
    base, closes = served_desk
    dom = _chromium(binary, "--dump-dom", base + "/")
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    for element in ('id="trading-state"', 'id="kill-form"', 'id="resume-form"', 'id="instrument-positions"',
                    'id="leg-positions"', 'id="exposure"', 'id="orders-table"', 'id="refusals"', 'id="pnl-chart"',
                    'id="alerts-table"', 'id="freshness"', 'id="model-health"'):
        assert element in html, element
    assert "Prices stale: last session" in html
    assert ">ACTIVE<" in html and "$1,000,000.00" in html and "max gross exposure 300.00%" in html
    assert "0|FUT:HO~FUT:CL" in html and "0.035" in html  # leg rows with hedge ratio
    assert f"last session {closes.index[-1].date()}" in html and "champion version <b>unknown</b>" in html
    shot = tmp_path / "dashboard.png"
    taken = _chromium(binary, f"--screenshot={shot}", "--window-size=1400,2200", base + "/")
    assert taken.returncode == 0 and shot.exists(), taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    print(f"dashboard screenshot: {shot}")
