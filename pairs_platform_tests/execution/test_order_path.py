"""The one order path: risk engine checks (shared with the backtest), trading states, retries."""
from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from pairs_platform.execution import ExecutionInputError, Ledger, OrderManager, PaperBroker, TradingState
from pairs_platform.risk import Account, LiveBook, PairEntry, RiskLimits, pre_trade_check
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig

D = [dt.date(2024, 1, d) for d in (2, 3, 4, 5, 8, 9)]
INSTRUMENTS = pd.DataFrame(
    {"multiplier": [1.0, 1.0, 1.0], "asset_class": ["equity", "equity", "crypto"],
     "shortable": [True, False, True], "lot_size": [1.0, 1.0, 1.0]},
    index=pd.Index(["EQ:A", "EQ:B", "CRYPTO:C"], name="instrument_id"))
PRICES = pd.Series({"EQ:A": 100.0, "EQ:B": 50.0, "CRYPTO:C": 10.0})
BOOK = pd.Series({"EQ:A": 1000.0, "CRYPTO:C": -5000.0})
CAPITAL = 1e6


def _free_broker(ledger):
    return PaperBroker(ledger, commission_per_unit=0.0, min_commission=0.0, slippage_bps=0.0)


def _ledger_holding(tmp_path, name: str) -> Ledger:
    """A ledger whose strategy holds BOOK, filled at PRICES with no costs: equity == CAPITAL."""
    ledger = Ledger(f"sqlite:///{tmp_path / f'{name}.db'}")
    broker = _free_broker(ledger)
    OrderManager(broker, ledger, RiskEngine(RiskEngineConfig.none())).rebalance("s1", D[0], BOOK, PRICES)
    broker.on_prices(D[1], PRICES)
    assert ledger.positions("s1") == BOOK.to_dict()
    return ledger


CASES = [  # (y, x, units_y, units_x, limits): the cases of the backtest's own reason tests
    ("EQ:A", "EQ:B", 100, -200, RiskLimits()),
    ("EQ:A", "CRYPTO:C", 20000, -200000, RiskLimits()),
    ("EQ:A", "CRYPTO:C", 100, -1000, RiskLimits(max_class_gross={"crypto": 0.05})),
    ("EQ:A", "CRYPTO:C", 3000, -1000, RiskLimits(max_instrument=0.35, max_net=1.0)),
    ("EQ:A", "CRYPTO:C", 400, -4000, RiskLimits(max_gross=0.2, max_net=1.0)),
    ("EQ:A", "CRYPTO:C", 100, -1000, RiskLimits()),  # accepted by both
]


@pytest.mark.parametrize("y, x, units_y, units_x, limits", CASES)
def test_backtest_and_live_path_refuse_the_same_entries(tmp_path, y, x, units_y, units_x, limits):
    backtest = pre_trade_check(PairEntry(y, x, units_y, units_x), LiveBook(BOOK, PRICES, INSTRUMENTS),
                               Account(CAPITAL, CAPITAL, 0), limits)
    ledger = _ledger_holding(tmp_path, "live")
    risk = RiskEngine(RiskEngineConfig(limits=limits, capital=CAPITAL), INSTRUMENTS)
    targets = BOOK.add(pd.Series({y: units_y, x: units_x}), fill_value=0.0)
    report = OrderManager(_free_broker(ledger), ledger, risk).rebalance("s1", D[1], targets, PRICES)
    refused = set(ledger.refusals_frame("s1")["check_name"])
    if backtest is None:
        assert refused == set() and report.n_sent == 2
    else:
        assert refused == {backtest}, (backtest, report.refused)
        assert report.n_sent < 2  # the entry does not go out whole
        if backtest in ("gross_limit", "net_limit"):
            assert report.n_sent == 0  # book-wide limits refuse both legs
    with ledger.strategy_lock("s1") as book:  # the pair check itself: the backtest's, on the ledger's book
        session = risk.begin_session(book, D[1], PRICES)
        session.book = BOOK.copy()
        assert session.equity == pytest.approx(CAPITAL)
        assert risk.check_pair_entry(y, x, units_y, units_x, session, open_pairs=0) == backtest


def test_order_level_checks_refuse_with_their_names(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    config = RiskEngineConfig(limits=RiskLimits.none(), max_order_notional=50_000.0,
                              max_orders_per_session=2, price_collar=0.05)
    manager = OrderManager(_free_broker(ledger), ledger, RiskEngine(config, INSTRUMENTS.assign(lot_size=[1.0, 10.0, 1.0])))
    report = manager.rebalance("s1", D[0], pd.Series({"EQ:A": 600, "EQ:B": 15, "CRYPTO:C": 100}), PRICES)
    reasons = {r.instrument_id: r.reason.split(":")[0] for r in report.refused}
    assert reasons == {"EQ:A": "max_order_notional", "EQ:B": "lot_size"}
    assert [o.instrument_id for o in report.sent] == ["CRYPTO:C"]
    report = manager.rebalance("s1", D[1], pd.Series({"EQ:A": 100, "EQ:B": 10, "CRYPTO:C": 200}), PRICES)
    assert [o.instrument_id for o in report.sent] == ["CRYPTO:C", "EQ:A"]  # 2 per session
    assert [r.reason.split(":")[0] for r in report.refused] == ["max_orders_per_session"]
    report = manager.rebalance("s1", D[2], pd.Series({"EQ:A": 100, "CRYPTO:C": 300}), {"EQ:A": 100.0})
    assert [r.reason.split(":")[0] for r in report.refused] == ["no_reference_price"]
    assert ledger.refusals_frame()["check_name"].tolist() == [
        "max_order_notional", "lot_size", "max_orders_per_session", "no_reference_price"]


def test_price_collar_refuses_a_stale_reference_price(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    risk = RiskEngine(RiskEngineConfig(limits=RiskLimits.none(), price_collar=0.05), INSTRUMENTS)
    book = ledger.strategy_lock("s1")
    with book as b:
        session = risk.begin_session(b, D[0], {"EQ:A": 100.0})
    from pairs_platform.execution import Order, Side, make_client_order_id

    stale = Order(make_client_order_id("s1", D[0], "EQ:A"), "s1", D[0], "EQ:A", Side.BUY, 10, reference_price=90.0)
    fine = Order(make_client_order_id("s1", D[0], "EQ:A"), "s1", D[0], "EQ:A", Side.BUY, 10, reference_price=102.0)
    assert risk.check_orders([stale], session)[0].check == "price_collar"
    session.book = session.book.iloc[0:0]
    assert risk.check_orders([fine], session) == [None]


def test_drawdown_breaker_moves_to_reducing_and_back_with_its_cause(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    broker = _free_broker(ledger)
    risk = RiskEngine(RiskEngineConfig(limits=RiskLimits(max_gross=math.inf, max_net=math.inf, max_instrument=math.inf,
                                                         max_drawdown=0.25), capital=100_000.0, price_collar=None),
                      INSTRUMENTS)
    manager = OrderManager(broker, ledger, risk)
    manager.rebalance("s1", D[0], pd.Series({"EQ:A": 1000}), PRICES)
    broker.on_prices(D[1], PRICES)  # long 1000 A at 100 = the whole capital
    crash = PRICES.copy()
    crash["EQ:A"] = 70.0  # equity 70k: 30% below the 100k peak
    report = manager.rebalance("s1", D[1], pd.Series({"EQ:A": 1200, "EQ:B": 10}), crash)
    assert report.trading_state == "reducing"
    assert {r.reason.split(":")[0] for r in report.refused} == {"drawdown_halt"} and report.n_sent == 0
    state = ledger.trading_state("s1")
    assert (state.state, state.who) == (TradingState.REDUCING, "drawdown breaker")
    assert "30.0% below its peak 100,000.00" in state.reason
    assert ledger.trading_state().state is TradingState.ACTIVE  # global scope untouched
    report = manager.rebalance("s1", D[2], pd.Series({"EQ:A": 500}), crash)  # reducing goes out
    assert [(o.instrument_id, o.side.value, o.quantity) for o in report.sent] == [("EQ:A", "sell", 500)]
    broker.on_prices(D[3], PRICES)  # sold 500 at 100 again: equity back to 85k
    manager.rebalance("s1", D[3], pd.Series({"EQ:A": 500}), PRICES)
    assert ledger.trading_state("s1").state is TradingState.ACTIVE
    assert ledger.trading_state_history()["who"].tolist() == ["drawdown breaker"] * 2


def _targets(day_index: int) -> pd.Series:
    return pd.Series({"EQ:A": 100.0 * (day_index + 1), "CRYPTO:C": -10.0 * day_index})


class CrashingBroker(PaperBroker):
    """Paper broker that dies once on the first submit of a given session (a failed Dagster run)."""

    def __init__(self, ledger, crash_on):
        super().__init__(ledger, commission_per_unit=0.0, min_commission=0.0, slippage_bps=0.0)
        self.crash_on = crash_on

    def submit(self, order):
        if order.as_of == self.crash_on:
            self.crash_on = None
            raise ConnectionError(f"gateway lost during {order.as_of}")
        return super().submit(order)


def _run(manager, broker, days):
    for i, day in enumerate(days):
        broker.on_prices(day, PRICES)
        manager.rebalance("s1", day, _targets(D.index(day)), PRICES)


def test_a_retried_multi_session_run_resumes_and_sends_nothing_twice(tmp_path):
    reference = Ledger(f"sqlite:///{tmp_path / 'ref.db'}")
    ref_broker = _free_broker(reference)
    _run(OrderManager(ref_broker, reference, RiskEngine(RiskEngineConfig.none())), ref_broker, D[:5])
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")
    broker = CrashingBroker(ledger, crash_on=D[3])
    manager = OrderManager(broker, ledger, RiskEngine(RiskEngineConfig.none()))
    with pytest.raises(ConnectionError):
        _run(manager, broker, D[:5])       # the run fails in its 4th session
    _run(manager, broker, D[:5])           # the Dagster retry runs all five sessions again
    _run(manager, broker, D[:5])           # and a re-launch once more: nothing new
    columns = ["client_order_id", "as_of", "instrument_id", "side", "quantity", "status"]
    pd.testing.assert_frame_equal(ledger.orders_frame()[columns], reference.orders_frame()[columns])
    assert ledger.positions("s1") == reference.positions("s1")
    report = manager.rebalance("s1", D[1], _targets(1), PRICES)
    assert report.already_done and report.n_sent == 0 and "already done" in report.summary()
    with pytest.raises(ExecutionInputError, match=r"latest session is 2024-01-08 .* other targets"):
        manager.rebalance("s1", D[1], _targets(1) * 2, PRICES)
    with pytest.raises(ExecutionInputError, match="never traded"):
        manager.rebalance("s1", dt.date(2023, 12, 29), _targets(1), PRICES)


def test_halt_between_recording_and_sending_keeps_orders_pending(tmp_path):
    ledger = Ledger(f"sqlite:///{tmp_path / 'l.db'}")

    class HaltingRisk(RiskEngine):
        def begin_session(self, book, as_of, prices):
            session = super().begin_session(book, as_of, prices)  # state read: active
            book.set_state(TradingState.HALTED, "ops", "halt while recording")  # lands at commit
            return session

    manager = OrderManager(_free_broker(ledger), ledger, HaltingRisk(RiskEngineConfig.none()))
    report = manager.rebalance("s1", D[0], pd.Series({"EQ:A": 10}), PRICES)
    assert report.n_sent == 0 and "stay pending" in report.blocked_reason
    assert ledger.orders_frame()["status"].tolist() == ["pending"]
