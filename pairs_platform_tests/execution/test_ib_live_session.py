"""The live session runner (``execution.live.run_live_sessions``) against the fake gateway: reconcile
on connect, after a reconnect and at the end; legged pair entries with timeout -> cancel + unwind;
the broker always disconnected; the mismatch callback."""
from __future__ import annotations

import dataclasses
import threading
import time

import pandas as pd
import pytest

from pairs_platform.execution import ExecutionInputError, OrderStatus, TradingState
from pairs_platform.execution.legging import LeggingPolicy
from pairs_platform.execution.live import LiveOptions, run_live_sessions
from pairs_platform.execution.risk_engine import RiskEngineConfig
from pairs_platform.execution.session import SessionInputs
from pairs_platform_tests.execution.ib_support import (  # noqa: F401  (fixtures)
    INSTRUMENTS, gateway, ib_broker, ib_ledger, ib_library_name, live_env, make_ib_broker,
)
from pairs_platform_tests.ib_gateway import protocol

DAY = pd.Timestamp("2024-01-02")
FAST = LiveOptions(LeggingPolicy(first_leg_timeout=1.0, poll_interval=0.05), reconcile_interval=300.0,
                   settle_seconds=1.0, poll_seconds=0.05)


def _inputs(ko: float = 100.0, pep: float = -40.0, instrument: str = "EQ:KO") -> SessionInputs:
    targets = pd.DataFrame({"date": [DAY, DAY], "pair_id": "KO~PEP", "leg": ["y", "x"],
                            "instrument_id": [instrument, "EQ:PEP"], "units": [ko, pep]})
    prices = pd.DataFrame({"date": [DAY, DAY], "instrument_id": ["EQ:KO", "EQ:PEP"], "close": [60.0, 170.0],
                           "volume": [1e7, 1e5]})
    return SessionInputs("s1", INSTRUMENTS, prices, targets, RiskEngineConfig(capital=1e6))


def test_first_leg_timeout_cancels_unwinds_never_sends_the_hedge_and_the_timer_reconciles(live_env, ib_ledger):
    gateway = live_env
    gateway.scripts["PEP"] = [("status", "Submitted"), ("fill", 4, 170.0)]  # 4 of 40, then nothing
    broker = make_ib_broker(ib_ledger)
    timer = dataclasses.replace(FAST, reconcile_interval=0.3)  # timer cycles while the first leg hangs
    result = run_live_sessions(broker, ib_ledger, _inputs(), [DAY], timer)
    assert len(result.reconciliations) >= 4 and all(r.ok for r in result.reconciliations)
    [legged] = result.legging
    assert "cancelled" in legged.outcome and "unwound 4" in legged.outcome and legged.hedge is None
    assert [m[3] for m in gateway.messages(protocol.PLACE_ORDER)] == ["PEP", "PEP"]  # never KO
    statuses = ib_ledger.orders_frame().set_index("instrument_id")["status"]
    assert statuses["EQ:KO"] == OrderStatus.CANCELLED.value  # the hedge cannot be resubmitted later
    assert ib_ledger.positions("s1") == {}                    # flat, not a naked leg
    assert result.reconciled_ok and result.fills == 2
    assert not broker.ib_connected() and broker.after_connect == []


def test_reconciles_again_after_a_reconnect_and_recovers_the_fill_it_missed(live_env, ib_ledger):
    gateway = live_env
    gateway.scripts["PEP"] = [("status", "Submitted")]  # acknowledged, filled later

    def cut_then_fill():  # once the first leg is working: the line drops, it fills while we are away
        deadline = time.monotonic() + 10  # until the adapter has the acknowledgement and waits for fills
        while time.monotonic() < deadline and not ib_ledger.orders(statuses=[OrderStatus.SUBMITTED]):
            time.sleep(0.02)
        gateway.drop_clients()
        gateway.fill(next(o for o in gateway.orders.values() if o.contract.symbol == "PEP"), 40, 170.0)

    timer = threading.Thread(target=cut_then_fill)
    timer.start()
    slow = dataclasses.replace(FAST, legging=LeggingPolicy(first_leg_timeout=5.0, poll_interval=0.05))
    result = run_live_sessions(make_ib_broker(ib_ledger), ib_ledger, _inputs(), [DAY], slow)
    timer.join()
    assert len(gateway.messages(protocol.START_API)) == 2       # connected twice
    assert len(result.reconciliations) == 3                     # on connect, on the reconnect, closing
    assert result.reconciled_ok and result.legging[0].outcome == "both legs sent"
    assert [m[3] for m in gateway.messages(protocol.PLACE_ORDER)] == ["PEP", "KO"]
    assert ib_ledger.positions("s1") == {"EQ:KO": 100.0, "EQ:PEP": -40.0}


def test_mismatch_on_connect_halts_before_any_order_and_calls_back(live_env, ib_ledger):
    gateway = live_env
    gateway.set_position("PEP", -10.0)
    found = []
    result = run_live_sessions(make_ib_broker(ib_ledger), ib_ledger, _inputs(), [DAY], FAST,
                               on_mismatch=found.append)
    assert gateway.messages(protocol.PLACE_ORDER) == []
    assert [d.kind for d in found[0].differences] == ["unknown_position"] and len(found) == 2
    assert ib_ledger.trading_state(None).state is TradingState.HALTED  # no ledger owner: global scope
    assert not result.reconciled_ok and result.trading_state.startswith("halted")


def test_the_broker_is_disconnected_when_the_run_fails(live_env, ib_ledger):
    gateway = live_env
    broker = make_ib_broker(ib_ledger)
    with pytest.raises(ExecutionInputError, match="EQ:NOPE"):
        run_live_sessions(broker, ib_ledger, _inputs(instrument="EQ:NOPE"), [DAY], FAST)
    assert len(gateway.messages(protocol.START_API)) == 1  # it had connected (and reconciled)
    assert not broker.ib_connected() and gateway.clients_connected() == 0


def test_the_adapter_runs_on_the_configured_client_library(ib_broker):
    """ib_async by default; ib_insync under PAIRS_IB_LIBRARY=ib_insync (make test-ib-legacy)."""
    assert ib_broker.connect() == "DU1234567"
    assert type(ib_broker.ib).__module__.split(".")[0] == ib_library_name()
