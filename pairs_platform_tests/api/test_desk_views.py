"""Pure pieces of the desk: number formats, live equity, champion lookup."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pairs_platform.api.dashboard import money, pct
from pairs_platform.api.store_readmodel import champion_version
from pairs_platform.api.views import live_equity


def test_money_and_percent_formats():
    assert money(1234567.891) == "$1,234,567.89" and money(-12.3) == "-$12.30" and money(None) == "–"
    assert pct(0.1234) == "12.34%" and pct(-0.001) == "-0.10%" and pct(float("nan")) == "–"


def _closes() -> pd.DataFrame:
    days = pd.bdate_range("2026-01-05", periods=5)
    return pd.DataFrame({"A": [10.0, 11.0, 13.0, 12.0, 15.0]}, index=days)


def test_live_equity_marks_fills_to_closes_with_commissions_and_multipliers():
    closes = _closes()
    fills = pd.DataFrame({"date": [closes.index[2]], "instrument_id": ["A"], "signed_quantity": [10.0],
                          "price": [13.5], "commission": [1.0]})
    instruments = pd.DataFrame({"multiplier": [100.0]}, index=pd.Index(["A"], name="instrument_id"))
    curve = live_equity(fills, closes, instruments, capital=1000.0)
    assert list(curve.index) == list(closes.index[2:])
    # bought 10 x 100 at 13.5 (-13,500 - 1), marked at 13, 12, 15
    assert curve["cumulative_pnl"].tolist() == pytest.approx([-501.0, -1501.0, 1499.0])
    assert curve["drawdown"].iloc[1] == pytest.approx((1000 - 1501.0) / (1000 - 501.0) - 1)


def test_champion_from_a_real_mlflow_registry(tmp_path):
    from mlflow import MlflowClient

    assert champion_version("", "pairs_entry_filter") == "unknown"
    assert champion_version(f"sqlite:///{tmp_path / 'absent.db'}", "m") == "unknown"
    assert not (tmp_path / "absent.db").exists()  # looking never creates a store
    assert champion_version("http://127.0.0.1:9/", "m") == "unknown"  # nothing listens on the discard port
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("pairs_entry_filter")
    for _ in range(2):
        client.create_model_version("pairs_entry_filter", source=(tmp_path / "model").as_uri())
    assert champion_version(uri, "pairs_entry_filter") == "unknown"  # no alias yet
    client.set_registered_model_alias("pairs_entry_filter", "champion", "2")
    assert champion_version(uri, "pairs_entry_filter") == "2"


def test_an_instrument_without_closes_is_marked_at_its_fill_price_not_zero():
    closes = _closes()
    fills = pd.DataFrame({"date": [closes.index[1]], "instrument_id": ["B"], "signed_quantity": [-4.0],
                          "price": [50.0], "commission": [2.0]})
    curve = live_equity(fills, closes, pd.DataFrame(), capital=1000.0)
    assert curve["cumulative_pnl"].tolist() == pytest.approx([-2.0] * 4)
