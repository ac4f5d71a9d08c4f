"""End to end at core level: OrderManager + RiskEngine + the IB adapter (built by the factory)
against the fake gateway, live trading enabled by the environment; reconciliation on connect.

Run with ``-s`` to see the transcript (orders, fills, positions)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pairs_platform.execution import OrderManager, TradingState
from pairs_platform.execution.reconciliation import Reconciler
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig
from pairs_platform.ibkr.client import import_ib_library
from pairs_platform_tests.execution.ib_support import (  # noqa: F401  (fixtures)
    INSTRUMENTS, gateway, ib_ledger, live_env, make_ib_broker,
)
from pairs_platform_tests.ib_gateway import protocol

D0, D1 = dt.date(2024, 1, 2), dt.date(2024, 1, 3)
TARGETS = pd.Series({"EQ:KO": 100.0, "EQ:PEP": -50.0})
PRICES = pd.Series({"EQ:KO": 60.0, "EQ:PEP": 170.0})


def _session(ledger):
    broker = make_ib_broker(ledger)
    reconciler = Reconciler(broker, ledger, instruments=INSTRUMENTS)
    broker.after_connect.append(reconciler.run)
    manager = OrderManager(broker, ledger, RiskEngine(RiskEngineConfig(capital=1e6), INSTRUMENTS),
                           instruments=INSTRUMENTS)
    return broker, reconciler, manager


def _transcript(title, ledger):
    print(f"\n== {title}")
    orders = ledger.orders_frame()[["client_order_id", "instrument_id", "side", "quantity", "status",
                                    "filled_quantity", "broker_order_id"]]
    fills = ledger.fills_frame()[["fill_id", "instrument_id", "side", "quantity", "price", "commission"]]
    print("orders:\n" + orders.to_string(index=False))
    print("fills:\n" + fills.to_string(index=False))
    print("positions:", ledger.positions("s1"), "| state:", ledger.trading_state("s1").describe())


def test_targets_become_fills_idempotent_restart_and_halt_on_mismatch(live_env, ib_ledger):
    gateway = live_env
    gateway.prices.update({"KO": 60.05, "PEP": 169.90})
    broker, reconciler, manager = _session(ib_ledger)

    report = manager.rebalance("s1", D0, TARGETS, PRICES)
    broker.poll(0.3)
    _transcript("session 1: targets -> orders -> fills", ib_ledger)
    assert report.n_sent == 2 and report.blocked_reason is None
    assert ib_ledger.positions("s1") == TARGETS.to_dict()
    assert len(ib_ledger.fills_frame()) == 2
    assert reconciler.reports[0].ok  # reconciliation on connect

    again = manager.rebalance("s1", D0, TARGETS, PRICES)
    print(f"\n== second run of the same session: {again.summary()}")
    assert again.n_sent == 0 and len(gateway.messages(protocol.PLACE_ORDER)) == 2
    assert reconciler.run().ok      # a timer cycle: still in agreement
    broker.disconnect()

    broker2, reconciler2, manager2 = _session(ib_ledger)  # a restart: executions are replayed
    broker2.poll(0.2)
    _transcript("restart: replayed executions change nothing", ib_ledger)
    assert reconciler2.reports[-1].ok
    assert len(ib_ledger.fills_frame()) == 2 and ib_ledger.positions("s1") == TARGETS.to_dict()
    next_day = manager2.rebalance("s1", D1, TARGETS, PRICES)
    print(f"== next session after the restart, same targets: {next_day.summary()}")
    assert next_day.n_sent == 0

    gateway.set_position("KO", 150.0)  # a trade the ledger never saw (planted at the gateway)
    found = reconciler2.run()
    print("\n== planted mismatch\n" + found.text())
    assert [(d.kind, d.instrument_id) for d in found.differences] == [("position_mismatch", "EQ:KO")]
    state = ib_ledger.trading_state("s1")
    assert state.state is TradingState.HALTED and "pairs-platform resume" in state.reason
    blocked = manager2.rebalance("s1", dt.date(2024, 1, 4), TARGETS * 2, PRICES)
    print(f"== rebalance after the halt: {blocked.summary()}")
    assert blocked.n_sent == 0 and "halted" in (blocked.blocked_reason or "")
    assert len(gateway.messages(protocol.PLACE_ORDER)) == 2
    broker2.disconnect()


def test_reconciliation_fails_closed_and_names_unknown_orders(live_env, ib_ledger):
    gateway = live_env
    broker, reconciler, _ = _session(ib_ledger)
    broker.ib  # connect (first cycle: empty account, empty ledger)
    assert reconciler.reports[0].ok

    class Down:
        name = "ib"

        def report_positions(self):
            raise TimeoutError("positions request timed out")

    skipped = Reconciler(Down(), ib_ledger).run()
    assert skipped.skipped_reason and "timed out" in skipped.text()
    assert ib_ledger.trading_state("s1").state is TradingState.ACTIVE  # missing report != flat

    gateway.scripts["KO"] = [("status", "Submitted")]
    lib = import_ib_library()  # ib_async, or ib_insync under PAIRS_IB_LIBRARY=ib_insync
    stray = lib.LimitOrder("BUY", 5, 10.0)  # placed outside the platform (no orderRef)
    broker.ib.placeOrder(lib.Stock("KO", "SMART", "USD"), stray)
    broker.poll(0.2)
    report = reconciler.run()
    print("\n== unknown order\n" + report.text())
    assert [d.kind for d in report.differences] == ["unknown_order"]
    assert report.halted_scopes == ["*"]
    assert ib_ledger.trading_state(None).state is TradingState.HALTED
    broker.disconnect()


def test_reconciliation_timer_runs_every_interval(live_env, ib_ledger):
    broker = make_ib_broker(ib_ledger)
    now = [0.0]
    reconciler = Reconciler(broker, ib_ledger, interval=300.0, clock=lambda: now[0])
    assert reconciler.maybe_run().ok          # first call runs
    now[0] = 299.0
    assert reconciler.maybe_run() is None     # too early
    now[0] = 300.0
    assert reconciler.maybe_run() is not None and len(reconciler.reports) == 2
    broker.disconnect()


def test_an_impossible_fill_is_not_booked_and_halts_at_reconciliation(live_env, ib_ledger):
    gateway = live_env
    gateway.scripts["KO"] = [("status", "Submitted"), ("fill", 15, 60.0)]  # 15 on an order of 10
    broker, reconciler, manager = _session(ib_ledger)
    manager.rebalance("s1", D0, pd.Series({"EQ:KO": 10.0}), PRICES)
    broker.poll(0.2)
    assert ib_ledger.fills_frame().empty
    report = reconciler.run()
    assert [(d.kind, d.instrument_id) for d in report.differences] == [
        ("missing_order", "EQ:KO"), ("unknown_position", "EQ:KO")]  # IB filled it, the ledger did not
    assert ib_ledger.trading_state("s1").state is TradingState.HALTED
    broker.disconnect()
