"""Shared fixtures of the IB tests: a fake gateway, the live environment, a ledger, the broker.

The IB tests need ``ib_async`` (the ``ib`` extra), or ``ib_insync`` when ``PAIRS_IB_LIBRARY=ib_insync``
forces the fallback (``make test-ib-legacy``). Without the library they are skipped with the reason,
unless ``CI=true``, where a missing library fails the run.
"""
from __future__ import annotations

import datetime as dt
import importlib.util
import os

import pandas as pd
import pytest

from pairs_platform.execution import Ledger, Order, Side, make_client_order_id
from pairs_platform.ibkr.client import IB_LIBRARY_ENV
from pairs_platform_tests.ib_gateway import FakeGateway


def ib_library_name() -> str:
    """The client library the adapter uses here: ``PAIRS_IB_LIBRARY`` if set, else ``ib_async``."""
    return os.environ.get(IB_LIBRARY_ENV, "").strip() or "ib_async"


def require_ib_async() -> None:
    """Skip (or fail under CI=true) when the IB client library (:func:`ib_library_name`) is missing."""
    name = ib_library_name()
    if importlib.util.find_spec(name) is None:
        extra = "ib-legacy" if name == "ib_insync" else "ib"
        reason = f"IB adapter tests need {name}: pip install -e .[{extra}]"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason + " (CI=true: these tests are required in CI)")
        pytest.skip(reason)


AS_OF = dt.date(2024, 1, 2)
INSTRUMENTS = pd.DataFrame(
    {"symbol": ["KO", "PEP", "CL", "BTC-USD", "UST10Y"],
     "asset_class": ["equity", "equity", "future", "crypto", "fixed_income"],
     "currency": ["USD"] * 5, "exchange": ["NYSE", "NASDAQ", "NYMEX", "COINBASE", "OTC"],
     "multiplier": [1.0, 1.0, 1000.0, 1.0, 1.0], "tick_size": [0.01, 0.01, 0.01, 0.01, 0.01],
     "lot_size": [1.0, 1.0, 1.0, 0.0001, 1.0], "shortable": [True] * 5,
     "roll_rule": ["", "", "FGHJKMNQUVXZ:prior_month_20th:3", "", ""]},
    index=pd.Index(["EQ:KO", "EQ:PEP", "FUT:CL", "CRYPTO:BTC-USD", "FI:UST10Y"], name="instrument_id"))


@pytest.fixture
def gateway():
    """A running fake gateway on a free loopback port."""
    require_ib_async()
    with FakeGateway() as gw:
        yield gw


@pytest.fixture
def live_env(monkeypatch, gateway):
    """The environment that enables live trading against the fake gateway's account."""
    for name, value in {"PAIRS_LIVE_TRADING_ENABLED": "true", "IB_ACCOUNT": gateway.account,
                        "IB_HOST": "127.0.0.1", "IB_PORT": str(gateway.port), "IB_CLIENT_ID": "7"}.items():
        monkeypatch.setenv(name, value)
    return gateway


@pytest.fixture
def ib_ledger(tmp_path):
    """A fresh SQLite ledger."""
    ledger = Ledger(f"sqlite:///{tmp_path / 'ib_ledger.db'}")
    yield ledger
    ledger.close()


def make_ib_broker(ledger: Ledger, timeout: float = 3.0):
    """The IB broker exactly as production builds it (the factory), with a short timeout."""
    from pairs_platform.execution.factory import make_broker

    broker = make_broker("ib", ledger, INSTRUMENTS)
    broker.timeout = timeout
    return broker


@pytest.fixture
def ib_broker(live_env, ib_ledger):
    """An IB broker connected (lazily) to the fake gateway, writing to ``ib_ledger``."""
    broker = make_ib_broker(ib_ledger)
    yield broker
    broker.disconnect()


def order(instrument_id: str = "EQ:KO", side: Side = Side.BUY, quantity: float = 10.0,
          strategy_id: str = "s1", as_of: dt.date = AS_OF, **kwargs) -> Order:
    """An order with the deterministic client order id."""
    return Order(make_client_order_id(strategy_id, as_of, instrument_id), strategy_id, as_of,
                 instrument_id, side, quantity, **kwargs)
