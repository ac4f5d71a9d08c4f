"""Live enablement is the environment's, never configuration's: flag + account allowlist."""
from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import pytest

from pairs_platform.execution import (
    Ledger, LiveTradingDisabled, Order, Side, ensure_account_allowed, make_client_order_id,
)
from pairs_platform.execution.factory import make_broker
from pairs_platform.execution.paper import PaperBroker
from pairs_platform.ibkr.client import IBSettings, ib_settings_from_env

LAUNCHPAD = {"resources": {"live_trading": {"config": {"enabled": True}}}}
AS_OF = dt.date(2024, 1, 2)


@pytest.fixture
def no_live_env(monkeypatch):
    for name in ("PAIRS_LIVE_TRADING_ENABLED", "IB_ACCOUNT", "IB_HOST", "IB_PORT", "IB_CLIENT_ID"):
        monkeypatch.delenv(name, raising=False)


def test_launchpad_config_cannot_enable_live_trading(tmp_path, monkeypatch, no_live_env):
    from pairs_platform.defs.definitions import build_definitions
    from pairs_platform.defs.shared.resources import LedgerResource

    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    defs = build_definitions(ledger=LedgerResource(url=url))
    job = defs.resolve_job_def("live_execution")
    with dg.DagsterInstance.ephemeral() as instance, pytest.raises(
            dg.DagsterInvalidConfigError, match="enabled"):
        job.execute_in_process(run_config=LAUNCHPAD, instance=instance, partition_key="2022-12-28")
    with Ledger(url) as ledger:
        assert ledger.orders_frame().empty and ledger.refusals_frame().empty


def test_live_resource_refuses_without_the_environment(tmp_path, no_live_env):
    from pairs_platform.defs.shared.resources import LiveTradingResource

    with Ledger(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        with pytest.raises(LiveTradingDisabled, match="PAIRS_LIVE_TRADING_ENABLED=''"):
            LiveTradingResource().broker(ledger, None)
        assert ledger.orders_frame().empty


def test_ib_settings_come_from_the_environment(no_live_env, monkeypatch):
    assert ib_settings_from_env() == IBSettings()
    monkeypatch.setenv("IB_PORT", "4002")  # a partial setting keeps the others, not class defaults of config
    monkeypatch.setenv("IB_HOST", "10.0.0.5")
    assert ib_settings_from_env() == IBSettings(host="10.0.0.5", port=4002, client_id=17)
    monkeypatch.setenv("IB_PORT", "seven")
    with pytest.raises(ValueError, match="IB_PORT='seven'"):
        ib_settings_from_env()


def test_factory_builds_paper_and_guards_ib(tmp_path, no_live_env):
    with Ledger(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        assert isinstance(make_broker("paper", ledger), PaperBroker)
        with pytest.raises(LiveTradingDisabled):
            make_broker("ib", ledger)
        with pytest.raises(ValueError, match="broker kind 'fix' is unknown"):
            make_broker("fix", ledger)


@pytest.mark.parametrize("accounts, allowed", [("U999", False), ("U123,U999", False), ("U123", True)])
def test_ib_checks_the_reported_account_before_any_order(tmp_path, monkeypatch, accounts, allowed):
    from pairs_platform_tests.execution.ib_support import require_ib_async
    from pairs_platform_tests.ib_gateway import FakeGateway, protocol

    require_ib_async()
    monkeypatch.setenv("PAIRS_LIVE_TRADING_ENABLED", "true")
    monkeypatch.setenv("IB_ACCOUNT", "U123")
    order = Order(make_client_order_id("s1", AS_OF, "EQ:KO"), "s1", AS_OF, "EQ:KO", Side.BUY, 10)
    with FakeGateway(account=accounts) as gateway, Ledger(f"sqlite:///{tmp_path / 'l.db'}") as ledger:
        monkeypatch.setenv("IB_PORT", str(gateway.port))
        broker = make_broker("ib", ledger, pd.DataFrame(index=pd.Index([], name="instrument_id")))
        ledger.record_order(order)
        if allowed:
            assert broker.submit(order).status.value == "submitted"
            assert gateway.messages(protocol.START_API)[0][2] == "17"
            assert len(gateway.messages(protocol.PLACE_ORDER)) == 1
        else:
            with pytest.raises(LiveTradingDisabled, match="not in the allowlist"):
                broker.submit(order)
            assert gateway.messages(protocol.PLACE_ORDER) == []
        broker.disconnect()


def test_account_guard_needs_a_reported_account():
    env = {"PAIRS_LIVE_TRADING_ENABLED": "true", "IB_ACCOUNT": "U1"}
    with pytest.raises(LiveTradingDisabled, match="no managed account"):
        ensure_account_allowed([], env)
    assert ensure_account_allowed(["U1"], env) == "U1"
