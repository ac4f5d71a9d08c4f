"""End to end through the Dagster job ``live_execution`` against the fake IB gateway.

Live trading is enabled by the environment (``PAIRS_LIVE_TRADING_ENABLED`` + the ``IB_ACCOUNT``
allowlist, the ``ib_support.live_env`` fixture), never by run config. The job's inputs
(instruments, a few sessions of cleaned prices, a pair's targets) are written to the asset store
the job's IO manager reads, so the run is the production code path from the job down to the socket.

With ``PAIRS_LIVE_TRANSCRIPT=<file>`` the session transcript (orders, fills, positions, the replay
restart, the planted mismatch) is written there (docs/live_session_transcript.txt is one).
"""
from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pairs_platform.alerts import SqlAlertRecorder
from pairs_platform.defs.shared.partitions import MONTH_FORMAT
from pairs_platform.execution import Ledger, TradingState
from pairs_platform.store.store import AssetStore
from pairs_platform_tests.defs.graph_support import make_defs
from pairs_platform_tests.execution.ib_support import (  # noqa: F401  (fixtures)
    INSTRUMENTS, gateway, ib_library_name, live_env,
)
from pairs_platform_tests.ib_gateway import protocol

SESSIONS = ["2024-01-02", "2024-01-03", "2024-01-04"]
STRATEGY = "pairs_v1"
CLOSES = {"EQ:KO": 60.0, "EQ:PEP": 170.0}
VOLUMES = {"EQ:KO": 1e7, "EQ:PEP": 1e5}  # PEP is the less liquid leg: it goes first


def _targets(ko: float, pep: float, days: list[str]) -> pd.DataFrame:
    rows = [{"date": pd.Timestamp(d), "pair_id": "EQ:KO~EQ:PEP", "leg": leg, "instrument_id": iid, "units": u}
            for d in days for leg, iid, u in (("y", "EQ:KO", ko), ("x", "EQ:PEP", pep))]
    return pd.DataFrame(rows)


def _write_inputs(root: Path, targets: pd.DataFrame) -> None:
    store = AssetStore(root / "assets")
    store.save(["instruments"], INSTRUMENTS)
    prices = pd.DataFrame([{"date": pd.Timestamp(d), "instrument_id": iid, "close": CLOSES[iid],
                            "volume": VOLUMES[iid]} for d in SESSIONS for iid in CLOSES])
    store.save_partitions(["cleaned_prices"], prices, sorted({s[:7] for s in SESSIONS}),  # months, as the IO manager
                          key_format=MONTH_FORMAT)
    store.save(["target_positions"], targets)


class Transcript:
    """Collects what a desk would want to see of the session; printed (``-s``) and optionally saved."""

    def __init__(self, gateway) -> None:
        self.gateway, self.lines = gateway, [f"# live session against the fake IB gateway "
                                             f"(account {gateway.account}, client library {ib_library_name()})"]

    def run(self, title: str, meta: dict, ledger: Ledger) -> None:
        placed = [f"{m[16]} {m[17]} {m[3]} (orderRef {m[26]})" for m in self.gateway.messages(protocol.PLACE_ORDER)]
        self.lines += [f"\n## {title}",
                       f"orders sent in run: {meta['orders_sent_in_run'].value}, fills recorded in run: "
                       f"{meta['fills_in_run'].value}, pairs legged: {meta['pairs_legged'].value}",
                       f"gateway placeOrder messages so far: {placed}",
                       f"gateway reqExecutions so far (replays): {len(self.gateway.messages(protocol.REQ_EXECUTIONS))}",
                       f"legging: {_legging(meta)}",
                       "reconciliation:\n" + meta["reconciliation_report"].value.strip("`\n"),
                       "ledger orders:\n" + ledger.orders_frame()[
                           ["client_order_id", "instrument_id", "side", "quantity", "status",
                            "filled_quantity"]].to_string(index=False),
                       "ledger fills:\n" + ledger.fills_frame()[
                           ["fill_id", "instrument_id", "side", "quantity", "price", "commission"]
                       ].to_string(index=False),
                       f"ledger positions: {ledger.positions(STRATEGY)}",
                       f"trading state: {meta['trading_state'].value}"]

    def finish(self) -> None:
        text = "\n".join(self.lines) + "\n"
        print(text)
        if os.environ.get("PAIRS_LIVE_TRANSCRIPT"):
            Path(os.environ["PAIRS_LIVE_TRANSCRIPT"]).write_text(text)


def _legging(meta: dict) -> str:
    value = meta["legging"].value
    return value if isinstance(value, str) else "; ".join(str(r.data) for r in value.records)


@pytest.fixture
def live_job(live_env, tmp_path, monkeypatch):
    """(defs, instance, root): the project's definitions over a temporary store, ledger and DAGSTER_HOME."""
    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    for name in ("PAIRS_ALERT_SMTP_HOST", "PAIRS_ALERT_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)  # alerts go to the log channel and the ledger's table
    defs = make_defs(tmp_path)
    with dg.DagsterInstance.ephemeral() as instance:
        yield defs, instance, tmp_path


def _materialize(defs, instance, session: str) -> dict:
    result = defs.resolve_job_def("live_execution").execute_in_process(
        instance=instance, partition_key=session)
    assert result.success
    return result.get_asset_materialization_events()[-1].materialization.metadata


def test_live_execution_job_end_to_end(live_job, gateway):
    defs, instance, root = live_job
    gateway.prices.update({"KO": 60.05, "PEP": 169.90})
    _write_inputs(root, pd.concat([_targets(100.0, -40.0, SESSIONS[:2]), _targets(200.0, -80.0, SESSIONS[2:])]))
    ledger = Ledger(f"sqlite:///{root / 'ledger.db'}")
    transcript = Transcript(gateway)

    first = _materialize(defs, instance, SESSIONS[0])
    transcript.run(f"run 1, session {SESSIONS[0]}: targets KO +100 / PEP -40 (a pair entry)", first, ledger)
    assert first["orders_sent_in_run"].value == 2 and first["fills_in_run"].value == 2
    assert [m[3] for m in gateway.messages(protocol.PLACE_ORDER)] == ["PEP", "KO"]  # less liquid leg first
    assert first["pairs_legged"].value == 1 and first["reconciliation_ok"].value is True
    assert ledger.positions(STRATEGY) == {"EQ:KO": 100.0, "EQ:PEP": -40.0}
    assert set(ledger.orders_frame()["status"]) == {"filled"}
    assert "ledger and broker agree" in first["reconciliation_report"].value
    assert gateway.clients_connected() == 0  # disconnected at the end of the run

    replays = len(gateway.messages(protocol.REQ_EXECUTIONS))
    again = _materialize(defs, instance, SESSIONS[0])  # a restart: new process, new connection
    transcript.run(f"run 2 (restart), session {SESSIONS[0]} again: the gateway replays its executions", again, ledger)
    assert len(gateway.messages(protocol.REQ_EXECUTIONS)) > replays  # executions were replayed
    assert again["orders_sent_in_run"].value == 0 and again["fills_in_run"].value == 0
    assert len(gateway.messages(protocol.PLACE_ORDER)) == 2 and len(ledger.fills_frame()) == 2
    assert ledger.positions(STRATEGY) == {"EQ:KO": 100.0, "EQ:PEP": -40.0}

    next_day = _materialize(defs, instance, SESSIONS[1])
    transcript.run(f"run 3, session {SESSIONS[1]}: same targets", next_day, ledger)
    assert next_day["orders_sent_in_run"].value == 0 and next_day["reconciliation_ok"].value is True

    gateway.set_position("KO", 150.0)  # a trade the ledger never saw, planted at the gateway
    halted = _materialize(defs, instance, SESSIONS[2])
    transcript.run(f"run 4, session {SESSIONS[2]}: KO position planted at the gateway, targets doubled",
                   halted, ledger)
    transcript.finish()
    assert halted["reconciliation_ok"].value is False and halted["orders_sent_in_run"].value == 0
    assert "position_mismatch EQ:KO" in halted["reconciliation_report"].value
    assert len(gateway.messages(protocol.PLACE_ORDER)) == 2  # nothing reached the gateway
    assert ledger.trading_state(STRATEGY).state is TradingState.HALTED
    assert halted["trading_state"].value.startswith("halted")
    alerts = [a for a in SqlAlertRecorder(ledger.engine).recent() if a.kind == "reconciliation_mismatch"]
    sent = [a for a in alerts if a.status == "sent"]  # the connect cycle's; the closing cycle's is a duplicate
    assert len(sent) == 1 and sent[0].severity == "critical" and len(alerts) == 2
    assert "position_mismatch EQ:KO" in sent[0].body and "pairs-platform resume" in sent[0].body
    ledger.close()
