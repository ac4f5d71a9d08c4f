"""``pairs-platform kill / resume / status`` through a real subprocess, and its effect on orders."""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd

from pairs_platform.execution import Ledger, OrderManager, PaperBroker, TradingState
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environ = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "pairs_platform.cli", *args], capture_output=True,
                          text=True, env=environ, timeout=120)


def test_kill_halts_every_order_path_and_resume_reopens_it(tmp_path):
    env = {"PAIRS_DATA_DIR": str(tmp_path), "USER": "alice"}
    killed = cli("kill", "--reason", "broker outage", env={**env, "PAIRS_LEDGER_URL": ""})
    assert killed.returncode == 0, killed.stderr
    assert "halted" in killed.stdout and "by alice: broker outage" in killed.stdout
    url = f"sqlite:///{tmp_path / 'ledger.db'}"  # the default ledger under PAIRS_DATA_DIR
    with Ledger(url) as ledger:
        state = ledger.trading_state("any")
        assert (state.state, state.who, state.reason) == (TradingState.HALTED, "alice", "broker outage")
        report = OrderManager(PaperBroker(ledger), ledger, RiskEngine(RiskEngineConfig.none())).rebalance(
            "s1", dt.date(2024, 1, 2), pd.Series({"EQ:KO": 10}))
        assert report.n_sent == 0 and ledger.orders_frame().empty
        assert ledger.refusals_frame()["check_name"].tolist() == ["halted"]
    status = cli("--ledger-url", url, "status")
    assert status.returncode == 0 and "global: halted" in status.stdout and "broker outage" in status.stdout
    no_reason = cli("--ledger-url", url, "resume", "--reason", " ", "--who", "bob")
    assert no_reason.returncode == 2 and "needs a non-empty reason" in no_reason.stderr
    resumed = cli("--ledger-url", url, "resume", "--reason", "outage over", "--who", "bob")
    assert resumed.returncode == 0 and "active" in resumed.stdout
    with Ledger(url) as ledger:
        assert ledger.trading_state().state is TradingState.ACTIVE
        report = OrderManager(PaperBroker(ledger), ledger, RiskEngine(RiskEngineConfig.none())).rebalance(
            "s1", dt.date(2024, 1, 2), pd.Series({"EQ:KO": 10}))
        assert report.n_sent == 1  # the refusal did not occupy the order's id
        assert ledger.trading_state_history()[["state", "who"]].values.tolist() == [
            ["halted", "alice"], ["active", "bob"]]


def test_kill_needs_a_reason(tmp_path):
    missing = cli("--ledger-url", f"sqlite:///{tmp_path / 'l.db'}", "kill")
    assert missing.returncode == 2 and "--reason" in missing.stderr


def test_a_strategy_scoped_kill(tmp_path):
    url = f"sqlite:///{tmp_path / 'l.db'}"
    assert cli("--ledger-url", url, "kill", "--reason", "bad fills", "--strategy", "s2", "--who", "ops").returncode == 0
    with Ledger(url) as ledger:
        assert ledger.trading_state("s2").state is TradingState.HALTED
        assert ledger.trading_state("s1").state is TradingState.ACTIVE
    assert "s2: halted" in cli("--ledger-url", url, "status").stdout


def test_default_ledger_url_is_one_function_for_core_and_defs(tmp_path, monkeypatch):
    from pairs_platform.defs.shared.resources import LedgerResource
    from pairs_platform.execution import default_ledger_url

    assert default_ledger_url({"PAIRS_DATA_DIR": str(tmp_path)}) == f"sqlite:///{tmp_path / 'ledger.db'}"
    assert default_ledger_url({"PAIRS_LEDGER_URL": "postgresql://h/db", "PAIRS_DATA_DIR": "x"}) == "postgresql://h/db"
    monkeypatch.delenv("PAIRS_LEDGER_URL", raising=False)
    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    assert LedgerResource().resolved_url() == default_ledger_url() == f"sqlite:///{tmp_path / 'ledger.db'}"
