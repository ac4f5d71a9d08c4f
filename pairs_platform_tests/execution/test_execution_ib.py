"""IB adapter: pure mapping functions and guards, tested without ib_async / ib_insync."""
from __future__ import annotations

import datetime as dt
import importlib.util
from types import SimpleNamespace

import pandas as pd
import pytest

from pairs_platform.execution import (
    ExecutionInputError, Ledger, LiveTradingDisabled, Order, OrderType, Side, ensure_live_enabled,
    make_client_order_id,
)
from pairs_platform.execution.ib import IBBroker
from pairs_platform.execution.ib_contracts import find_by_order_ref, order_spec
from pairs_platform.ibkr.contracts import IBContractError, contract_spec, instrument_id_for_contract

AS_OF = dt.date(2024, 1, 2)
INSTRUMENTS = pd.DataFrame(
    {"symbol": ["KO", "CL", "BRK.B"], "currency": ["USD", "USD", "USD"],
     "exchange": ["NYSE", "NYMEX", "NYSE"], "multiplier": [1.0, 1000.0, 1.0]},
    index=pd.Index(["EQ:KO", "FUT:CL", "EQ:BRK.B"], name="instrument_id"),
)


def _order(instrument_id, side=Side.BUY, quantity=10.0, **kwargs):
    return Order(make_client_order_id("s1", AS_OF, instrument_id), "s1", AS_OF, instrument_id,
                 side, quantity, **kwargs)


def test_equity_future_and_crypto_contracts():
    assert contract_spec("EQ:KO", INSTRUMENTS).kwargs() == {
        "secType": "STK", "symbol": "KO", "exchange": "SMART", "currency": "USD"}
    assert contract_spec("EQ:BRK.B", INSTRUMENTS).symbol == "BRK B"
    assert contract_spec("FUT:CL", INSTRUMENTS, "202403").kwargs() == {
        "secType": "FUT", "symbol": "CL", "exchange": "NYMEX", "currency": "USD",
        "lastTradeDateOrContractMonth": "202403", "multiplier": "1000"}
    assert contract_spec("CRYPTO:BTC-USD").kwargs() == {
        "secType": "CRYPTO", "symbol": "BTC", "exchange": "PAXOS", "currency": "USD"}


@pytest.mark.parametrize("instrument_id, kwargs, pattern", [
    ("FUT:CL", {"instruments": INSTRUMENTS}, r"FUT:CL: IB needs the contract month"),
    ("FUT:CL", {"contract_month": "202403"}, r"FUT:CL: IB futures need the exchange"),
    ("FI:UST10Y", {}, r"FI:UST10Y: asset class 'FI' cannot be routed.*futures"),
    ("KO", {}, r"'KO' is not CLASS:SYMBOL"),
])
def test_contract_errors_say_what_to_do(instrument_id, kwargs, pattern):
    with pytest.raises(IBContractError, match=pattern):
        contract_spec(instrument_id, **kwargs)


def test_order_mapping_carries_the_client_order_id_as_order_ref():
    market = order_spec(_order("EQ:KO", Side.SELL, 25.0))
    assert market.kwargs() == {"action": "SELL", "totalQuantity": 25, "orderType": "MKT",
                               "orderRef": make_client_order_id("s1", AS_OF, "EQ:KO"),
                               "tif": "DAY"}
    limit = order_spec(_order("CRYPTO:BTC-USD", Side.BUY, 0.25, order_type=OrderType.LIMIT,
                              limit_price=42_000.0))
    assert (limit.orderType, limit.lmtPrice, limit.totalQuantity, limit.tif) == (
        "LMT", 42_000.0, 0.25, "DAY")
    assert order_spec(_order("CRYPTO:BTC-USD", Side.SELL, 0.25)).tif == "IOC"


def test_order_mapping_refuses_what_ib_would_reject():
    with pytest.raises(ExecutionInputError, match="whole units.*got 2.5"):
        order_spec(_order("EQ:KO", quantity=2.5))
    with pytest.raises(ExecutionInputError, match="crypto market buys only by cash amount"):
        order_spec(_order("CRYPTO:BTC-USD", quantity=0.1))


def test_contract_back_to_instrument_id():
    assert instrument_id_for_contract(SimpleNamespace(secType="STK", symbol="BRK B")) == "EQ:BRK.B"
    assert instrument_id_for_contract(SimpleNamespace(secType="FUT", symbol="CL")) == "FUT:CL"
    assert instrument_id_for_contract(
        SimpleNamespace(secType="CRYPTO", symbol="ETH", currency="USD")) == "CRYPTO:ETH-USD"


def test_find_by_order_ref_in_trades_and_executions():
    trade = SimpleNamespace(order=SimpleNamespace(orderRef="pp-a", orderId=7))
    fill = SimpleNamespace(execution=SimpleNamespace(orderRef="pp-b"))
    assert find_by_order_ref([trade, fill], "pp-a") is trade
    assert find_by_order_ref([trade, fill], "pp-b") is fill
    assert find_by_order_ref([trade, fill], "pp-c") is None


def test_live_trading_guard_reads_the_environment_only():
    on = {"PAIRS_LIVE_TRADING_ENABLED": "true", "IB_ACCOUNT": "U111, U222"}
    assert ensure_live_enabled(on) == {"U111", "U222"}
    for env in ({}, {"PAIRS_LIVE_TRADING_ENABLED": "false", "IB_ACCOUNT": "U111"},
                {"PAIRS_LIVE_TRADING_ENABLED": "1", "IB_ACCOUNT": "U111"}):
        with pytest.raises(LiveTradingDisabled, match="live trading is disabled"):
            ensure_live_enabled(env)
    with pytest.raises(LiveTradingDisabled, match="needs an account allowlist"):
        ensure_live_enabled({"PAIRS_LIVE_TRADING_ENABLED": "true"})


@pytest.mark.skipif(importlib.util.find_spec("ib_async") is not None
                    or importlib.util.find_spec("ib_insync") is not None,
                    reason="an IB library is installed")
def test_missing_library_gives_install_hint():
    with pytest.raises(ImportError, match=r"pip install -e \.\[ib\]"):
        IBBroker(Ledger("sqlite://"))


def test_submit_and_cancel_refuse_unless_live_enabled(monkeypatch):
    import pairs_platform.execution.ib as ib_module

    monkeypatch.setattr(ib_module, "import_ib_library", lambda: SimpleNamespace())
    monkeypatch.delenv("PAIRS_LIVE_TRADING_ENABLED", raising=False)
    broker = IBBroker(Ledger("sqlite://"), instruments=INSTRUMENTS)  # no environment flag: nothing goes out
    with pytest.raises(LiveTradingDisabled):
        broker.submit(_order("EQ:KO"))
    with pytest.raises(LiveTradingDisabled):
        broker.cancel("pp-any")


def test_execution_package_is_pure_python():
    """No dagster (house rule) and no IB library imported by the execution package."""
    from pathlib import Path

    import pairs_platform.execution as package

    sources = Path(package.__file__).parent.glob("*.py")
    offenders = [p.name for p in sources
                 if any(line.lstrip().startswith(("import dagster", "from dagster"))
                        for line in p.read_text().splitlines())]
    assert offenders == []
    import subprocess
    import sys
    probe = ("import sys, pairs_platform.execution, pairs_platform.execution.factory; "
             "assert 'ib_async' not in sys.modules and 'ib_insync' not in sys.modules")
    subprocess.run([sys.executable, "-c", probe], check=True)  # a fresh interpreter: other tests import ib_async
