"""Pair legging against the fake gateway: less liquid leg first, hedge sized on fills, timeout ->
cancel + unwind, legging slippage."""
from __future__ import annotations

import pytest

from pairs_platform.execution import Side
from pairs_platform.execution.legging import LeggingPolicy, PairLegger, hedge_quantity, order_legs
from pairs_platform_tests.execution.ib_support import (  # noqa: F401  (fixtures)
    gateway, ib_broker, ib_ledger, live_env, order,
)
from pairs_platform_tests.ib_gateway import protocol


def test_less_liquid_leg_first_and_hedge_sized_on_fills():
    ko, pep = order("EQ:KO"), order("EQ:PEP", Side.SELL)
    assert order_legs(ko, pep, {"EQ:KO": 5e9, "EQ:PEP": 1e9}) == (pep, ko)
    assert order_legs(ko, pep, {"EQ:KO": 1e9, "EQ:PEP": 5e9}) == (ko, pep)
    assert hedge_quantity(30, first_filled=7, first_quantity=10) == 21
    assert hedge_quantity(0.5, 1, 3, lot=0.01) == pytest.approx(0.16)


def test_both_legs_fill_in_sequence_with_slippage(ib_broker, ib_ledger, gateway):
    gateway.prices.update({"KO": 60.10, "PEP": 169.80})
    first = order("EQ:PEP", Side.SELL, 20, reference_price=170.0)
    hedge = order("EQ:KO", quantity=57, reference_price=60.0)
    for o in (first, hedge):
        ib_ledger.record_order(o)
    legger = PairLegger(ib_broker, ib_ledger, LeggingPolicy(first_leg_timeout=2.0, poll_interval=0.05),
                        wait=ib_broker.poll)
    result = legger.execute(first, hedge)
    symbols = [m[3] for m in gateway.messages(protocol.PLACE_ORDER)]
    assert symbols == ["PEP", "KO"] and result.outcome == "both legs sent"
    assert ib_ledger.positions("s1") == {"EQ:PEP": -20.0, "EQ:KO": 57.0}
    assert result.slippage == pytest.approx(0.20 * 20 + 0.10 * 57)  # sold 0.20 low, bought 0.10 high


def test_first_leg_timeout_cancels_and_unwinds(ib_broker, ib_ledger, gateway):
    gateway.scripts["PEP"] = [("status", "Submitted"), ("fill", 4, 170.0)]  # 4 of 20, then nothing
    first, hedge = order("EQ:PEP", Side.SELL, 20, reference_price=170.0), order("EQ:KO", quantity=57)
    for o in (first, hedge):
        ib_ledger.record_order(o)
    legger = PairLegger(ib_broker, ib_ledger, LeggingPolicy(first_leg_timeout=0.5, poll_interval=0.05),
                        wait=ib_broker.poll)
    result = legger.execute(first, hedge)
    assert result.hedge is None and result.unwind is not None
    assert "cancelled" in result.outcome and "unwound 4" in result.outcome
    assert [m[3] for m in gateway.messages(protocol.PLACE_ORDER)] == ["PEP", "PEP"]  # no KO
    assert ib_ledger.positions("s1") == {}
    assert gateway.messages(protocol.CANCEL_ORDER)


def test_only_pair_entries_are_legged_and_singles_go_first():
    import datetime as dt

    import pandas as pd

    from pairs_platform.execution.legging import PairSequencer, entering_pairs

    def rows(pair, y, x, days):
        return [{"date": pd.Timestamp(d), "pair_id": pair, "leg": leg, "instrument_id": i, "units": u}
                for d in days for leg, i, u in (("y", y, 10.0), ("x", x, -5.0))]

    # A is on from 2023-12-29 (the session before 2024-01-02: Jan 1 is a holiday); B enters on 2024-01-03
    targets = pd.DataFrame(rows("A", "EQ:KO", "EQ:PEP", ["2023-12-29", "2024-01-02", "2024-01-03"])
                           + rows("B", "FUT:CL", "CRYPTO:BTC-USD", ["2024-01-03"]))
    assert entering_pairs(targets, "2024-01-02") == []
    assert entering_pairs(targets, "2024-01-03") == [("FUT:CL", "CRYPTO:BTC-USD")]
    assert entering_pairs(targets.iloc[:0], "2024-01-03") == []
    day = dt.date(2024, 1, 3)
    orders = [order(i, as_of=day) for i in ("EQ:KO", "EQ:PEP", "FUT:CL", "CRYPTO:BTC-USD")]
    sequencer = PairSequencer(None, targets, liquidity=lambda d: {"FUT:CL": 9e9, "CRYPTO:BTC-USD": 1e8})
    plan = sequencer.plan(orders)
    assert [tuple(o.instrument_id for o in group) for group in plan] == [
        ("EQ:KO",), ("EQ:PEP",), ("CRYPTO:BTC-USD", "FUT:CL")]  # the less liquid BTC leg first
    assert PairSequencer(None, targets, liquidity=lambda d: {}).plan(orders[:3]) == [(o,) for o in orders[:3]]
