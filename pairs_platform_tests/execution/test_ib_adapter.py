"""The IB adapter against the loopback fake gateway: acks, fills, the error policy, disconnects."""
from __future__ import annotations

import pytest

from pairs_platform.execution import LiveTradingDisabled, OrderStatus, Side, TradingState
from pairs_platform.execution.ib import IBNotAcknowledged
from pairs_platform_tests.execution.ib_support import (  # noqa: F401  (fixtures)
    AS_OF, gateway, ib_broker, ib_ledger, live_env, make_ib_broker, order,
)
from pairs_platform_tests.ib_gateway import protocol


def _send(broker, ledger, o):
    assert ledger.record_order(o)
    ack = broker.submit(o)
    return ack, ledger.apply_ack(ack, broker.name)


def test_handshake_managed_accounts_and_next_valid_id(ib_broker, gateway):
    ib = ib_broker.ib
    assert ib.client.serverVersion() == protocol.SERVER_VERSION
    assert ib.managedAccounts() == [gateway.account] and ib_broker.account == gateway.account
    assert ib.client.getReqId() >= 1
    assert gateway.messages(protocol.START_API)[0][2] == "7"  # IB_CLIENT_ID from the environment


def test_foreign_account_is_refused_before_any_order(live_env, ib_ledger, monkeypatch):
    monkeypatch.setenv("IB_ACCOUNT", "U999")
    broker = make_ib_broker(ib_ledger)
    with pytest.raises(LiveTradingDisabled, match="not in the allowlist"):
        broker.submit(order())
    assert live_env.messages(protocol.PLACE_ORDER) == []
    assert not broker.ib_connected()


def test_order_fill_commission_reach_the_ledger_once(ib_broker, ib_ledger, gateway):
    gateway.prices["KO"] = 60.25
    o = order(reference_price=60.0)
    ack, status = _send(ib_broker, ib_ledger, o)
    assert ack.status is OrderStatus.SUBMITTED and status in (OrderStatus.SUBMITTED, OrderStatus.FILLED)
    ib_broker.poll(0.2)
    rec = ib_ledger.get_order(o.client_order_id)
    assert rec.status is OrderStatus.FILLED and rec.filled_quantity == 10
    fills = ib_ledger.fills_frame()
    assert list(fills["fill_id"]) == [gateway.executions[0].exec_id]
    assert fills["commission"].iloc[0] == pytest.approx(0.10)
    assert fills["slippage_cost"].iloc[0] == pytest.approx(2.5)
    assert ib_ledger.positions("s1") == {"EQ:KO": 10.0}
    placed = gateway.messages(protocol.PLACE_ORDER)[0]
    assert placed[26] == o.client_order_id and placed[23] == gateway.account  # orderRef, account
    ib_broker.poll(0.1)
    assert len(ib_ledger.fills_frame()) == 1  # replays of the same execId change nothing


def test_partial_fills_update_quantity_and_average_price(ib_broker, ib_ledger, gateway):
    from pairs_platform.execution.ib_fills import average_fill_price

    gateway.scripts["KO"] = [("status", "Submitted"), ("fill", 4, 10.0), ("fill", 6, 11.0)]
    o = order()
    _send(ib_broker, ib_ledger, o)
    ib_broker.poll(0.2)
    rec = ib_ledger.get_order(o.client_order_id)
    assert rec.filled_quantity == 10 and rec.status is OrderStatus.FILLED
    assert average_fill_price(ib_ledger, o.client_order_id) == pytest.approx(10.6)
    assert ib_ledger.positions_frame("s1")["avg_price"].iloc[0] == pytest.approx(10.6)


def test_partial_fill_leaves_the_order_working(ib_broker, ib_ledger, gateway):
    gateway.scripts["KO"] = [("status", "Submitted"), ("fill", 4, 10.0)]
    o = order()
    _send(ib_broker, ib_ledger, o)
    ib_broker.poll(0.2)
    rec = ib_ledger.get_order(o.client_order_id)
    assert (rec.status, rec.filled_quantity) == (OrderStatus.SUBMITTED, 4)
    assert [(w.client_order_id, w.remaining_quantity) for w in ib_broker.open_orders()] == [
        (o.client_order_id, 6.0)]


def test_warning_10349_then_fill_is_not_a_cancel(ib_broker, ib_ledger, gateway):
    """ib_async 2.x marks the trade Cancelled on 10349; our policy keeps it and records the fill."""
    gateway.scripts["KO"] = [("error", 10349, "Order TIF was set to DAY based on order preset."),
                             ("status", "Submitted"), ("fill", 10, 50.0)]
    o = order()
    ack, _ = _send(ib_broker, ib_ledger, o)
    assert ack.status is OrderStatus.SUBMITTED
    ib_broker.poll(0.2)
    assert ib_ledger.get_order(o.client_order_id).status is OrderStatus.FILLED
    assert ib_ledger.positions("s1") == {"EQ:KO": 10.0}


def test_warning_10349_without_fill_keeps_the_order_working(ib_broker, ib_ledger, gateway):
    gateway.scripts["KO"] = [("error", 10349, "Order TIF was set to DAY"), ("status", "Submitted")]
    o = order()
    _send(ib_broker, ib_ledger, o)
    trade = ib_broker.ib.trades()[0]
    assert trade.orderStatus.status in ("Submitted", "Cancelled")  # whatever ib_async thinks
    assert [w.client_order_id for w in ib_broker.open_orders()] == [o.client_order_id]
    assert ib_ledger.get_order(o.client_order_id).status is OrderStatus.SUBMITTED


def test_201_rejection_is_terminal(ib_broker, ib_ledger, gateway):
    gateway.scripts["KO"] = [("error", 201, "Order rejected - reason: insufficient margin")]
    o = order()
    ack, status = _send(ib_broker, ib_ledger, o)
    assert ack.status is OrderStatus.REJECTED and status is OrderStatus.REJECTED
    reason = ib_ledger.orders_frame().set_index("client_order_id").loc[o.client_order_id, "reason"]
    assert reason.startswith("IB 201: Order rejected")
    assert ib_broker.open_orders() == []


def test_404_holds_the_order(ib_broker, ib_ledger, gateway):
    gateway.scripts["KO"] = [("error", 404, "Shares for this order are not immediately available")]
    o = order(side=Side.SELL)
    ack, status = _send(ib_broker, ib_ledger, o)
    assert status is OrderStatus.SUBMITTED and ack.message.startswith("held: IB 404")
    assert [w.client_order_id for w in ib_broker.open_orders()] == [o.client_order_id]


def test_disconnect_while_placing_then_reconnect_replays_the_execution(live_env, ib_ledger):
    gateway = live_env
    gateway.scripts["KO"] = [("drop",)]
    broker = make_ib_broker(ib_ledger, timeout=2.0)
    o = order()
    assert ib_ledger.record_order(o)
    with pytest.raises(IBNotAcknowledged, match="connection dropped while placing"):
        broker.submit(o)
    assert ib_ledger.get_order(o.client_order_id).status is OrderStatus.PENDING
    gateway.fill(gateway.orders[max(gateway.orders)], 10, 42.0)  # it executed at IB meanwhile
    ack = broker.submit(o)                                        # the retry of the next run
    assert ack.status is OrderStatus.FILLED and "already executed" in ack.message
    assert len(gateway.messages(protocol.PLACE_ORDER)) == 1        # never placed twice
    rec = ib_ledger.get_order(o.client_order_id)
    assert (rec.status, rec.filled_quantity) == (OrderStatus.FILLED, 10)
    broker.disconnect()
    restarted = make_ib_broker(ib_ledger)                          # a new process
    restarted.poll(0.1)
    assert len(ib_ledger.fills_frame()) == 1 and ib_ledger.positions("s1") == {"EQ:KO": 10.0}
    restarted.disconnect()


def test_connectivity_lost_halts_and_restored_resyncs(ib_broker, ib_ledger, gateway):
    ib_broker.ib
    calls = []
    ib_broker.after_connect.append(lambda: calls.append("reconcile"))
    gateway.send_all(protocol.error(-1, 1100, "Connectivity between IB and TWS has been lost."))
    ib_broker.poll(0.2)
    state = ib_ledger.trading_state("s1")
    assert state.state is TradingState.HALTED and "1100" in state.reason and "resume" in state.reason
    gateway.send_all(protocol.error(-1, 1102, "Connectivity restored - data maintained."))
    ib_broker.poll(0.2)
    assert calls == ["reconcile"]


def test_cancel_waits_for_the_gateway_and_global_cancel(ib_broker, ib_ledger, gateway):
    gateway.scripts["KO"] = [("status", "Submitted")]
    gateway.scripts["PEP"] = [("status", "Submitted")]
    ko, pep = order("EQ:KO"), order("EQ:PEP")
    _send(ib_broker, ib_ledger, ko)
    _send(ib_broker, ib_ledger, pep)
    ack = ib_broker.cancel(ko.client_order_id)
    assert ack.status is OrderStatus.CANCELLED and "IB 202" in ack.message
    assert ib_ledger.get_order(ko.client_order_id).status is OrderStatus.CANCELLED
    ib_broker.cancel_all()
    ib_broker.poll(0.1)
    assert ib_ledger.get_order(pep.client_order_id).status is OrderStatus.CANCELLED
    assert ib_broker.open_orders() == []
    assert gateway.messages(protocol.REQ_GLOBAL_CANCEL)


def test_reports_of_positions_open_orders_and_executions(ib_broker, ib_ledger, gateway):
    gateway.set_position("XOM", 5)
    gateway.scripts["PEP"] = [("status", "Submitted")]
    _send(ib_broker, ib_ledger, order("EQ:KO"))
    _send(ib_broker, ib_ledger, order("EQ:PEP"))
    ib_broker.poll(0.1)
    assert ib_broker.report_positions() == {"EQ:XOM": 5.0, "EQ:KO": 10.0}
    assert [o.instrument_id for o in ib_broker.report_open_orders()] == ["EQ:PEP"]
    assert [e.instrument_id for e in ib_broker.report_executions()] == ["EQ:KO"]


def test_futures_month_and_local_symbol_from_the_roll_rule(ib_broker, ib_ledger, gateway):
    _send(ib_broker, ib_ledger, order("FUT:CL", quantity=1))
    placed = gateway.messages(protocol.PLACE_ORDER)[0]
    assert (placed[3], placed[4], placed[5], placed[8], placed[9], placed[12]) == (
        "CL", "FUT", "202402", "1000", "NYMEX", "CLG4")


def test_untradeable_instrument_never_reaches_the_gateway(ib_broker, ib_ledger, gateway):
    from pairs_platform.execution import ExecutionInputError

    with pytest.raises(ExecutionInputError, match="FI:UST10Y: asset class 'FI' cannot be routed"):
        ib_broker.submit(order("FI:UST10Y"))
    with pytest.raises(ExecutionInputError, match="not a whole number of lots of 0.0001"):
        ib_broker.submit(order("CRYPTO:BTC-USD", quantity=0.00015, order_type="limit", limit_price=1.0))
    assert gateway.messages(protocol.PLACE_ORDER) == []


def test_crypto_goes_to_paxos_with_lot_and_tick(ib_broker, ib_ledger, gateway):
    o = order("CRYPTO:BTC-USD", quantity=0.0015, order_type="limit", limit_price=42_000.017)
    _send(ib_broker, ib_ledger, o)
    placed = gateway.messages(protocol.PLACE_ORDER)[0]
    assert (placed[3], placed[4], placed[9], placed[11]) == ("BTC", "CRYPTO", "PAXOS", "USD")
    assert float(placed[17]) == 0.0015 and placed[18] == "LMT"
    assert float(placed[19]) == pytest.approx(42_000.01)  # a buy rounds down to the tick
