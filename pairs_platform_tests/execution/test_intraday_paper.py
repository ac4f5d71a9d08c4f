"""Intraday paper trading: bar-keyed client order ids through the one order path, idempotent on retry."""
import pandas as pd
import pytest

from pairs_platform.execution import ExecutionInputError, OrderManager, PaperBroker
from pairs_platform.execution.broker import make_client_order_id
from pairs_platform.execution.intraday import trade_bar, trade_bars
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig

SESSION = pd.Timestamp("2024-03-05")
BARS = pd.date_range("2024-03-05 14:40", periods=3, freq="5min", tz="UTC")
CLOSES = [pd.Series({"EQ:A": 100.0, "EQ:B": 50.0}), pd.Series({"EQ:A": 101.0, "EQ:B": 50.5}),
          pd.Series({"EQ:A": 102.0, "EQ:B": 50.2})]


def test_client_order_id_is_unique_per_bar_and_unchanged_for_daily_orders():
    daily = make_client_order_id("s", SESSION, "EQ:A")
    assert daily == make_client_order_id("s", "2024-03-05", "EQ:A")  # the daily key is untouched
    ids = {make_client_order_id("s", SESSION, "EQ:A", bar) for bar in BARS}
    assert len(ids) == 3 and daily not in ids
    same = make_client_order_id("s", SESSION, "EQ:A", BARS[0].tz_convert("America/New_York"))
    assert same == make_client_order_id("s", SESSION, "EQ:A", BARS[0])  # one instant, one id
    with pytest.raises(ExecutionInputError, match="tz-aware"):
        make_client_order_id("s", SESSION, "EQ:A", pd.Timestamp("2024-03-05 14:40"))


def test_trade_bar_is_idempotent_and_fills_only_earlier_bars(ledger):
    broker = PaperBroker(ledger, commission_per_unit=0.0, min_commission=0.0, slippage_bps=0.0)
    manager = OrderManager(broker, ledger, RiskEngine(RiskEngineConfig.none()))
    first = trade_bar(manager, broker, "intra", BARS[0], SESSION, pd.Series({"EQ:A": 10.0, "EQ:B": -20.0}), CLOSES[0])
    assert first.report.n_sent == 2 and first.fills == []
    sent_ids = {o.client_order_id for o in first.report.sent}
    assert sent_ids == {make_client_order_id("intra", SESSION, i, BARS[0]) for i in ("EQ:A", "EQ:B")}
    retry = trade_bar(manager, broker, "intra", BARS[0], SESSION, pd.Series({"EQ:A": 10.0, "EQ:B": -20.0}), CLOSES[0])
    assert retry.report.n_sent == 0 and retry.fills == []  # nothing twice; own orders not filled at own price
    assert len(ledger.orders("intra")) == 2 and ledger.positions("intra") == {}
    second = trade_bar(manager, broker, "intra", BARS[1], SESSION, pd.Series({"EQ:A": 0.0, "EQ:B": 0.0}), CLOSES[1])
    assert sorted((f.instrument_id, f.price) for f in second.fills) == [("EQ:A", 101.0), ("EQ:B", 50.5)]
    assert second.report.n_sent == 2  # same session, new bar: new ids, flattening orders
    assert {o.client_order_id for o in second.report.sent}.isdisjoint(sent_ids)
    again = trade_bar(manager, broker, "intra", BARS[1], SESSION, pd.Series({"EQ:A": 0.0, "EQ:B": 0.0}), CLOSES[1])
    assert again.report.n_sent == 0 and again.fills == []
    third = trade_bar(manager, broker, "intra", BARS[2], SESSION, pd.Series(dtype=float), CLOSES[2])
    assert len(third.fills) == 2 and third.report.n_sent == 0
    assert all(abs(q) < 1e-12 for q in ledger.positions("intra").values())
    assert len(ledger.orders("intra")) == 4


def test_replaying_bars_already_traded_sends_nothing(ledger):
    broker = PaperBroker(ledger, commission_per_unit=0.0, min_commission=0.0, slippage_bps=0.0)
    manager = OrderManager(broker, ledger, RiskEngine(RiskEngineConfig.none()))
    positions = pd.DataFrame({"EQ:A": [10.0, 0.0, 0.0], "EQ:B": [-20.0, 0.0, 0.0]}, index=BARS)
    closes = pd.DataFrame(CLOSES, index=BARS)
    sessions = pd.Series(SESSION, index=BARS)
    first = trade_bars(manager, broker, "intra", positions, closes, sessions)
    assert [t.report.n_sent for t in first] == [2, 2, 0] and sum(len(t.fills) for t in first) == 4
    again = trade_bars(manager, broker, "intra", positions, closes, sessions)
    assert [t.bar for t in again] == [BARS[1], BARS[2]]  # the newest traded bar is re-run as a retry
    assert sum(t.report.n_sent for t in again) == 0 and sum(len(t.fills) for t in again) == 0
    assert len(ledger.orders("intra")) == 4
