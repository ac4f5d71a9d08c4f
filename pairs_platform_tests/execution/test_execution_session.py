"""Session-by-session execution (core, no Dagster): fills of t-1 precede t's orders; retries send nothing."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from pairs_platform.execution import Broker, Ledger, PaperBroker
from pairs_platform.execution.session import SessionInputs, execute_sessions
from pairs_platform.execution.risk_engine import RiskEngineConfig

DAYS = pd.to_datetime(["2024-01-02", "2024-01-03", "2024-01-04"])
CLOSES = pd.DataFrame({"date": DAYS.repeat(2), "instrument_id": ["EQ:KO", "EQ:PEP"] * 3,
                       "close": [60.0, 170.0, 61.0, 171.0, 62.0, 172.0]})
TARGETS = pd.DataFrame({"date": DAYS.repeat(2), "instrument_id": ["EQ:KO", "EQ:PEP"] * 3,
                        "units": [100.0, -30.0, 100.0, -30.0, 0.0, 0.0]})
INSTRUMENTS = pd.DataFrame({"multiplier": [1.0, 1.0], "asset_class": ["equity", "equity"],
                            "shortable": [True, True], "lot_size": [1.0, 1.0]},
                           index=pd.Index(["EQ:KO", "EQ:PEP"], name="instrument_id"))


def test_sessions_trade_to_their_targets_once(ledger):
    broker = PaperBroker(ledger)
    inputs = SessionInputs("s1", INSTRUMENTS, CLOSES, TARGETS, RiskEngineConfig())
    first = execute_sessions(broker, ledger, inputs, DAYS[:2])
    assert list(first.orders["status"]) == ["sent", "sent"]  # day 2: already at target, nothing new
    assert first.sent == 2 and first.fills == 2  # day 1's orders fill at day 2's closes
    again = execute_sessions(broker, ledger, inputs, DAYS[1:2])
    assert again.sent == 0  # a retried session sends nothing twice
    closing = execute_sessions(broker, ledger, inputs, DAYS[2:])
    assert closing.sent == 2 and set(closing.orders["side"]) == {"buy", "sell"}


def test_the_live_adapter_declares_every_method_the_session_calls(monkeypatch):
    import pairs_platform.execution.ib as ib_module

    monkeypatch.setattr(ib_module, "import_ib_library", lambda: SimpleNamespace())
    broker = ib_module.IBBroker(Ledger("sqlite://"))
    assert isinstance(broker, Broker)
    assert broker.on_prices(DAYS[0], pd.Series({"EQ:KO": 60.0})) == []
