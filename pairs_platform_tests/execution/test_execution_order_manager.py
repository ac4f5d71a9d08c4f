"""Order manager: idempotent rebalances, kill switch, crash-retry, pre-trade hook, bad input."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pairs_platform.execution import (
    ExecutionInputError, Ledger, OpenOrder, Order, OrderAck, OrderManager, OrderStatus,
    PaperBroker, TradingState, make_client_order_id,
)
from pairs_platform.execution.ledger_state import StrategyBook
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig

T0, T1, T2 = dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)
TARGETS = pd.Series({"EQ:KO": 100, "EQ:PEP": -40.0, "CRYPTO:BTC-USD": 0.25})
PRICES_T1 = {"EQ:KO": 60.0, "EQ:PEP": 170.0, "CRYPTO:BTC-USD": 42_000.0}
NO_LIMITS = RiskEngine(RiskEngineConfig.none())  # only the trading state applies


class RemoteBroker:
    """A broker with its own memory (like IB): dedups by client_order_id; can lose answers."""

    name = "remote"

    def __init__(self, fail_on: set[str] = frozenset(), accept_then_fail: bool = False):
        self.accepted: dict[str, Order] = {}
        self.submit_calls: list[str] = []
        self.fail_on, self.accept_then_fail = set(fail_on), accept_then_fail

    def submit(self, order: Order) -> OrderAck:
        self.submit_calls.append(order.client_order_id)
        if order.instrument_id in self.fail_on:
            self.fail_on.discard(order.instrument_id)  # fail once
            if self.accept_then_fail:
                self.accepted.setdefault(order.client_order_id, order)
            raise ConnectionError(f"connection lost while sending {order.instrument_id}")
        self.accepted.setdefault(order.client_order_id, order)
        return OrderAck(order.client_order_id, OrderStatus.SUBMITTED, f"R{len(self.accepted)}")

    def cancel(self, client_order_id: str) -> OrderAck:
        return OrderAck(client_order_id, OrderStatus.CANCELLED)

    def open_orders(self) -> list[OpenOrder]:
        return []

    def positions(self) -> dict[str, float]:
        return {}


def test_rebalance_sends_deltas_then_nothing_on_rerun(ledger_url):
    ledger = Ledger(ledger_url)
    broker = PaperBroker(ledger)
    first = OrderManager(broker, ledger, NO_LIMITS).rebalance("s1", T0, TARGETS, reference_prices=PRICES_T1)
    assert first.n_sent == 3
    assert [o.side.value for o in first.sent] == ["sell", "buy", "buy"]  # sells first
    assert first.deltas.loc["EQ:PEP", "delta"] == -40.0
    # same rebalance again, from a fresh process-like start (new Ledger + manager objects):
    again_ledger = Ledger(ledger_url)
    again = OrderManager(PaperBroker(again_ledger), again_ledger, NO_LIMITS).rebalance("s1", T0, TARGETS)
    assert again.n_sent == 0 and again.skipped == []
    assert (again.deltas["delta"] == 0).all()
    orders = again_ledger.orders_frame("s1")
    assert len(orders) == 3 and orders["client_order_id"].is_unique
    assert orders.set_index("instrument_id").loc["EQ:KO", "reference_price"] == 60.0
    # after the fills, still nothing to do for that day
    PaperBroker(again_ledger).on_prices(T1, PRICES_T1)
    assert OrderManager(broker, ledger, NO_LIMITS).rebalance("s1", T0, TARGETS).n_sent == 0
    assert again_ledger.positions("s1") == pytest.approx(TARGETS.astype(float).to_dict())
    ledger.close(), again_ledger.close()


def test_next_day_trades_only_the_difference_and_flattens_dropped_names(ledger):
    broker = PaperBroker(ledger)
    manager = OrderManager(broker, ledger, NO_LIMITS)
    manager.rebalance("s1", T0, TARGETS)
    broker.on_prices(T1, PRICES_T1)
    report = manager.rebalance("s1", T1, pd.Series({"EQ:KO": 150, "EQ:PEP": -40}))
    sent = {o.instrument_id: o.signed_quantity for o in report.sent}
    assert sent == {"EQ:KO": 50.0, "CRYPTO:BTC-USD": -0.25}  # BTC left the book -> flat
    assert manager.rebalance("s1", T1, pd.Series({"EQ:KO": 150, "EQ:PEP": -40})).n_sent == 0


def test_kill_switch_blocks_everything_and_says_why(ledger):
    ledger.set_trading_state(TradingState.HALTED, "ops", "manual halt: broker outage")
    report = OrderManager(PaperBroker(ledger), ledger, NO_LIMITS).rebalance("s1", T0, TARGETS)
    assert report.n_sent == 0 and ledger.orders_frame().empty
    assert "halted" in report.blocked_reason and "by ops" in report.blocked_reason
    assert "manual halt: broker outage" in report.summary()
    refusals = ledger.refusals_frame()
    assert sorted(refusals["instrument_id"]) == sorted(TARGETS.index)
    assert set(refusals["check_name"]) == {"halted"}
    ledger.set_trading_state(TradingState.ACTIVE, "ops", "outage over")
    assert OrderManager(PaperBroker(ledger), ledger, NO_LIMITS).rebalance("s1", T0, TARGETS).n_sent == 3


def test_interrupted_submit_is_completed_not_duplicated_on_retry(ledger):
    broker = RemoteBroker(fail_on={"EQ:PEP"})
    manager = OrderManager(broker, ledger, NO_LIMITS)
    with pytest.raises(ConnectionError):
        manager.rebalance("s1", T0, TARGETS)
    # write-ahead: all three recorded before the first submit (EQ:PEP, a sell, goes first)
    assert set(ledger.orders_frame()["status"]) == {"pending"}
    retry = manager.rebalance("s1", T0, TARGETS)
    assert sorted(o.instrument_id for o in retry.resubmitted) == sorted(TARGETS.index)
    assert retry.sent == []
    assert manager.rebalance("s1", T0, TARGETS).n_sent == 0
    orders = ledger.orders_frame()
    assert len(orders) == 3 and set(orders["status"]) == {"submitted"}
    assert len(broker.accepted) == 3


def test_lost_acknowledgement_is_deduplicated_by_the_broker(ledger):
    broker = RemoteBroker(fail_on={"EQ:KO"}, accept_then_fail=True)
    manager = OrderManager(broker, ledger, NO_LIMITS)
    with pytest.raises(ConnectionError):
        manager.rebalance("s1", T0, TARGETS)
    manager.rebalance("s1", T0, TARGETS)
    ko_id = make_client_order_id("s1", T0, "EQ:KO")
    assert broker.submit_calls.count(ko_id) == 2  # retried with the SAME id ...
    assert len(broker.accepted) == 3              # ... so the broker holds one order per leg


def test_stale_pending_orders_are_cancelled_before_the_next_day(ledger):
    broker = RemoteBroker(fail_on={"EQ:KO"})
    manager = OrderManager(broker, ledger, NO_LIMITS)
    with pytest.raises(ConnectionError):
        manager.rebalance("s1", T0, pd.Series({"EQ:KO": 100}))
    report = manager.rebalance("s1", T1, pd.Series({"EQ:KO": 100}))
    assert report.cancelled_stale == [make_client_order_id("s1", T0, "EQ:KO")]
    assert [(o.instrument_id, o.as_of, o.quantity) for o in report.sent] == [("EQ:KO", T1, 100)]


def test_risk_engine_refusal_is_recorded_and_not_sent(ledger):
    instruments = pd.DataFrame(
        {"multiplier": 1.0, "asset_class": ["equity", "equity", "crypto"], "lot_size": 1.0,
         "shortable": [True, False, True]}, index=pd.Index(["EQ:KO", "EQ:PEP", "CRYPTO:BTC-USD"]))
    broker = PaperBroker(ledger)
    risk = RiskEngine(RiskEngineConfig.none(), instruments)
    report = OrderManager(broker, ledger, risk).rebalance("s1", T0, TARGETS, PRICES_T1)
    assert [r.instrument_id for r in report.refused] == ["EQ:PEP"]
    assert report.refused[0].reason.startswith("not_shortable: EQ:PEP may not be sold short")
    assert report.deltas.loc["EQ:PEP", "action"] == "refused"
    assert "EQ:PEP" not in set(ledger.orders_frame()["instrument_id"])  # a refusal is not an order
    row = ledger.refusals_frame().iloc[0]
    assert (row["instrument_id"], row["check_name"], row["side"], row["quantity"]) == (
        "EQ:PEP", "not_shortable", "sell", 40.0)
    assert {o.instrument_id for o in broker.open_orders()} == {"EQ:KO", "CRYPTO:BTC-USD"}


def test_order_manager_refuses_to_run_without_a_risk_engine(ledger):
    with pytest.raises(ExecutionInputError, match="needs a RiskEngine"):
        OrderManager(PaperBroker(ledger), ledger, None)


def test_changed_targets_on_the_same_day_are_skipped_with_a_reason(ledger):
    manager = OrderManager(PaperBroker(ledger), ledger, NO_LIMITS)
    manager.rebalance("s1", T0, pd.Series({"EQ:KO": 100}))
    report = manager.rebalance("s1", T0, pd.Series({"EQ:KO": 100, "EQ:PEP": 10}))
    assert [o.instrument_id for o in report.sent] == ["EQ:PEP"]
    manager.ledger.mark_cancelled(make_client_order_id("s1", T0, "EQ:KO"), "user")
    report = manager.rebalance("s1", T0, pd.Series({"EQ:KO": 100, "EQ:PEP": 10}))
    assert report.n_sent == 0 and "already exists (cancelled" in report.skipped[0].reason


def test_rebalancing_an_earlier_day_than_the_ledger_is_refused(ledger):
    manager = OrderManager(PaperBroker(ledger), ledger, NO_LIMITS)
    manager.rebalance("s1", T1, pd.Series({"EQ:KO": 100}))
    with pytest.raises(ExecutionInputError, match="only moves forward"):
        manager.rebalance("s1", T0, pd.Series({"EQ:KO": 50}))


@pytest.mark.parametrize("targets, pattern", [
    (pd.Series({"EQ:KO": np.nan, "EQ:PEP": 1.0}),
     r"strategy 's1', as_of 2024-01-02: target units EQ:KO=nan .*pass 0 to go flat"),
    (pd.Series({"EQ:KO": 1.0, "EQ:PEP": np.inf}), r"units EQ:PEP=inf "),
    (pd.Series({"EQ:KO": "ten"}), r"units EQ:KO='ten' "),
    (pd.Series({"KO": 1.0}), r"\['KO'\] are not of the form CLASS:SYMBOL"),
    (pd.Series([1.0, 2.0], index=["EQ:KO", "EQ:KO"]), r"\['EQ:KO'\] appear more than once"),
    (pd.DataFrame({"target": [1.0]}, index=["EQ:KO"]), r"must be a pd.Series"),
])
def test_bad_targets_name_the_instrument_and_the_fix(tmp_path, targets, pattern):
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    with pytest.raises(ExecutionInputError, match=pattern):
        OrderManager(PaperBroker(ledger), ledger, NO_LIMITS).rebalance("s1", T0, targets)
    assert ledger.orders_frame().empty


def test_unknown_instrument_against_the_instrument_table(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    instruments = pd.DataFrame({"multiplier": [1.0]}, index=pd.Index(["EQ:KO"]))
    manager = OrderManager(PaperBroker(ledger), ledger, NO_LIMITS, instruments=instruments)
    with pytest.raises(ExecutionInputError,
                       match=r"unknown instruments \['EQ:ZZZ'\].*add them to the instrument table"):
        manager.rebalance("s1", T0, pd.Series({"EQ:KO": 1, "EQ:ZZZ": 2}))
    with pytest.raises(ExecutionInputError, match=r"reference price for EQ:KO is -1"):
        manager.rebalance("s1", T0, pd.Series({"EQ:KO": 1}), reference_prices={"EQ:KO": -1})
    with pytest.raises(ExecutionInputError, match=r"as_of is missing"):
        manager.rebalance("s1", pd.NaT, pd.Series({"EQ:KO": 1}))


def test_paper_crash_between_record_and_submit_fills_once(ledger, monkeypatch):
    real_submit = PaperBroker.submit
    calls = []

    def crash_once(self, order):
        calls.append(order.instrument_id)
        if len(calls) == 1:
            raise KeyboardInterrupt("process killed mid-run")
        return real_submit(self, order)

    monkeypatch.setattr(PaperBroker, "submit", crash_once)
    broker = PaperBroker(ledger)
    with pytest.raises(KeyboardInterrupt):
        OrderManager(broker, ledger, NO_LIMITS).rebalance("s1", T0, TARGETS)
    assert ledger.orders_frame()["status"].tolist() == ["pending"] * 3  # write-ahead
    retry = OrderManager(broker, ledger, NO_LIMITS).rebalance("s1", T0, TARGETS)
    assert retry.n_sent == 3 and len(retry.resubmitted) == 3
    fills = broker.on_prices(T1, PRICES_T1)
    assert len(fills) == 3 and len(ledger.fills_frame()) == 3
    assert ledger.positions("s1") == pytest.approx(TARGETS.astype(float).to_dict())


def test_unique_constraint_stops_a_duplicate_when_the_check_first_misses(ledger, monkeypatch):
    manager = OrderManager(PaperBroker(ledger), ledger, NO_LIMITS)
    manager.rebalance("s1", T0, pd.Series({"EQ:KO": 100}))
    ledger.mark_cancelled(make_client_order_id("s1", T0, "EQ:KO"), "user")  # delta 100 again
    monkeypatch.setattr(StrategyBook, "get_order", lambda self, coid: None)  # the check misses
    report = manager.rebalance("s1", T0, pd.Series({"EQ:KO": 100}))
    assert report.n_sent == 0 and report.skipped[0].reason == "recorded concurrently by another run"
    assert len(ledger.orders_frame()) == 1
