"""Paper broker: next-price fills with slippage and commission (numbers checked by hand)."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pairs_platform.execution import (
    Broker, ExecutionInputError, Order, OrderStatus, OrderType, PaperBroker, Side,
    make_client_order_id,
)

T0, T1, T2 = dt.date(2024, 1, 2), dt.date(2024, 1, 3), dt.date(2024, 1, 4)


def _order(instrument_id, side, quantity, as_of=T0, **kwargs) -> Order:
    coid = make_client_order_id("s1", as_of, instrument_id)
    return Order(coid, "s1", as_of, instrument_id, side, quantity, **kwargs)


def test_paper_broker_implements_the_protocol(ledger):
    assert isinstance(PaperBroker(ledger), Broker)


def test_fills_at_next_price_with_slippage_and_commission(ledger):
    broker = PaperBroker(ledger, commission_per_unit=0.005, min_commission=1.0, slippage_bps=5.0)
    buy, sell = _order("EQ:KO", Side.BUY, 100), _order("EQ:PEP", Side.SELL, 400)
    assert broker.submit(buy).status is OrderStatus.SUBMITTED
    assert broker.submit(sell).status is OrderStatus.SUBMITTED
    # prices of the decision day itself never fill (no look-ahead):
    assert broker.on_prices(T0, {"EQ:KO": 1.0, "EQ:PEP": 1.0}) == []
    fills = {f.instrument_id: f for f in broker.on_prices(T1, {"EQ:KO": 60.0, "EQ:PEP": 170.0})}
    ko, pep = fills["EQ:KO"], fills["EQ:PEP"]
    # buy 100 @ 60 * 1.0005 = 60.03; commission max(1, 0.005*100=0.5) = 1; slippage 0.03*100 = 3
    assert (ko.price, ko.commission, ko.slippage_cost, ko.date) == pytest.approx(
        (60.03, 1.0, 3.0, T1))
    # sell 400 @ 170 * 0.9995 = 169.915; commission max(1, 0.005*400=2) = 2; slippage 0.085*400 = 34
    assert (pep.price, pep.commission, pep.slippage_cost) == pytest.approx((169.915, 2.0, 34.0))
    positions = ledger.positions_frame("s1").set_index("instrument_id")
    assert positions.loc["EQ:KO", "quantity"] == 100 and positions.loc["EQ:PEP", "quantity"] == -400
    assert positions.loc["EQ:KO", "avg_price"] == pytest.approx(60.03)
    assert broker.on_prices(T1, {"EQ:KO": 60.0, "EQ:PEP": 170.0}) == []  # replay: nothing new
    assert broker.on_prices(T2, {"EQ:KO": 61.0}) == []
    assert len(ledger.fills_frame()) == 2 and broker.open_orders() == []


def test_missing_price_keeps_the_order_working(ledger):
    broker = PaperBroker(ledger)
    order = _order("EQ:KO", Side.BUY, 10)
    broker.submit(order)
    assert broker.on_prices(T1, {"EQ:PEP": 170.0}) == []
    assert [o.client_order_id for o in broker.open_orders()] == [order.client_order_id]
    assert [f.date for f in broker.on_prices(T2, pd.Series({"EQ:KO": 50.0}))] == [T2]


def test_limit_orders_fill_only_when_the_price_reaches_the_limit(ledger):
    broker = PaperBroker(ledger, slippage_bps=10.0)
    order = _order("EQ:KO", Side.BUY, 10, order_type=OrderType.LIMIT, limit_price=50.0)
    broker.submit(order)
    assert broker.on_prices(T1, {"EQ:KO": 50.5}) == []  # above the limit: still working
    (fill,) = broker.on_prices(T2, {"EQ:KO": 49.99})
    assert fill.price == pytest.approx(50.0)  # 49.99 * 1.001 = 50.04 capped at the limit


def test_futures_slippage_cost_uses_the_multiplier(ledger):
    instruments = pd.DataFrame({"multiplier": [1000.0]}, index=pd.Index(["FUT:CL"]))
    broker = PaperBroker(ledger, slippage_bps=10.0, instruments=instruments)
    broker.submit(_order("FUT:CL", Side.SELL, 2))
    (fill,) = broker.on_prices(T1, {"FUT:CL": 80.0})
    assert fill.price == pytest.approx(79.92)
    assert fill.slippage_cost == pytest.approx(0.08 * 2 * 1000)  # 160
    assert fill.commission == pytest.approx(1.0)


def test_submit_is_idempotent_and_refuses_a_reused_id(ledger):
    broker = PaperBroker(ledger)
    order = _order("EQ:KO", Side.BUY, 10)
    first, second = broker.submit(order), broker.submit(order)
    assert first == second and len(ledger.orders_frame()) == 1
    other = Order(order.client_order_id, "s1", T0, "EQ:KO", Side.SELL, 5)
    ack = broker.submit(other)
    assert ack.status is OrderStatus.REJECTED and "already used" in ack.message
    assert ledger.get_order(order.client_order_id).order.side is Side.BUY


def test_cancel(ledger):
    broker = PaperBroker(ledger)
    order = _order("EQ:KO", Side.BUY, 10)
    broker.submit(order)
    assert broker.cancel(order.client_order_id).status is OrderStatus.CANCELLED
    assert broker.on_prices(T1, {"EQ:KO": 50.0}) == []
    assert broker.cancel("pp-nope").status is OrderStatus.REJECTED


@pytest.mark.parametrize("bad", [float("nan"), 0.0, -3.0, "n/a"])
def test_bad_price_names_instrument_and_date(ledger, bad):
    broker = PaperBroker(ledger)
    broker.submit(_order("EQ:KO", Side.BUY, 10))
    with pytest.raises(ExecutionInputError, match=r"EQ:KO on 2024-01-03.*finite close > 0"):
        broker.on_prices(T1, {"EQ:KO": bad})


def test_bad_cost_parameters_are_refused(ledger):
    with pytest.raises(ExecutionInputError, match="slippage_bps"):
        PaperBroker(ledger, slippage_bps=-1.0)
