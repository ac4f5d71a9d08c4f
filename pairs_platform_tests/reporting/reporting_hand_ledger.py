"""A small ledger whose daily P&L is computed by hand (shared by the reporting and defs tests).

Strategy ``s1``, capital $10,000; EQ:AAA (multiplier 1) and FUT:BBB (multiplier 10):

| session | orders (as_of) | fills (at the session) | closes A / B |
| --- | --- | --- | --- |
| 2022-03-01 | buy 10 A, sell 2 B | - | 100 / 50 |
| 2022-03-02 | sell 4 A, buy 2 B | buy 10 A @101 (comm 1), sell 2 B @49 (comm 2) | 102 / 48 |
| 2022-03-03 | sell 10 A; one refusal | sell 4 A @105 (1), buy 2 B @47 (2) | 104 / 46 |
| 2022-03-04 | buy 1 A (rejected by the broker) | sell 10 A @103 (1): long 6 -> short 4 | 100 / 45 |

By hand (average cost; realized net of commissions):

- 03-02: realized -3; unrealized A 10 x (102-101) = 10, B -2 x (48-49) x 10 = 20 -> 30; cumulative 27;
  gross 10 x 102 + 2 x 48 x 10 = 1,980, net 1,020 - 960 = 60.
- 03-03: realized 4 x (105-101) + 2 x (49-47) x 10 - 3 = 53; unrealized 6 x (104-101) = 18;
  cumulative -3 + 53 + 18 = 68, daily 41; gross = net = 624.
- 03-04: realized 6 x (103-101) - 1 = 11; short 4 at 103 marked at 100: unrealized 12; cumulative 73,
  daily 5; gross 400, net -400.

The backtest's equity is 10,000 / 10,020 / 10,050 / 10,040: daily P&L 20, 30, -10; cumulative from
the session before the first fill (03-01): 20, 50, 40. Strategy ``s2`` has one fill the report of
``s1`` must ignore.
"""
import datetime as dt

import pandas as pd

from pairs_platform.execution.broker import Fill, Order, Side
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.ledger_state import TradingState

A, B = "EQ:AAA", "FUT:BBB"
SESSIONS = pd.DatetimeIndex(["2022-03-01", "2022-03-02", "2022-03-03", "2022-03-04"])
CAPITAL = 10_000.0
MULTIPLIERS = pd.Series({A: 1.0, B: 10.0})
CLOSES = pd.DataFrame({A: [100.0, 102.0, 104.0, 100.0], B: [50.0, 48.0, 46.0, 45.0]}, index=SESSIONS)
BACKTEST_EQUITY = pd.Series([10_000.0, 10_020.0, 10_050.0, 10_040.0], index=SESSIONS)
EXPECTED = pd.DataFrame({
    "realized_pnl": [0.0, -3.0, 53.0, 11.0], "unrealized_pnl": [0.0, 30.0, 18.0, 12.0],
    "cumulative_pnl": [0.0, 27.0, 68.0, 73.0], "daily_pnl": [0.0, 27.0, 41.0, 5.0],
    "gross_exposure": [0.0, 1980.0, 624.0, 400.0], "net_exposure": [0.0, 60.0, 624.0, -400.0],
    "orders_sent": [2, 2, 1, 1], "orders_rejected": [0, 0, 0, 1], "orders_refused": [0, 0, 1, 0],
    "fills": [0, 2, 2, 1], "backtest_daily_pnl": [float("nan"), 20.0, 30.0, -10.0],
    "backtest_cumulative_pnl": [float("nan"), 20.0, 50.0, 40.0]}, index=SESSIONS)

ORDERS = [("o1", "2022-03-01", A, "buy", 10), ("o2", "2022-03-01", B, "sell", 2), ("o3", "2022-03-02", A, "sell", 4),
          ("o4", "2022-03-02", B, "buy", 2), ("o5", "2022-03-03", A, "sell", 10), ("o6", "2022-03-04", A, "buy", 1)]
FILLS = [("o1", "2022-03-02", A, "buy", 10, 101.0, 1.0), ("o2", "2022-03-02", B, "sell", 2, 49.0, 2.0),
         ("o3", "2022-03-03", A, "sell", 4, 105.0, 1.0), ("o4", "2022-03-03", B, "buy", 2, 47.0, 2.0),
         ("o5", "2022-03-04", A, "sell", 10, 103.0, 1.0)]


def _order(cid, as_of, instrument, side, quantity, strategy="s1"):
    return Order(cid, strategy, dt.date.fromisoformat(as_of), instrument, side, float(quantity))


def build_ledger(url: str) -> Ledger:
    """The ledger above at ``url`` (SQLite or PostgreSQL), opened and filled."""
    ledger = Ledger(url)
    for row in ORDERS:
        ledger.record_order(_order(*row))
    for cid, day, instrument, side, quantity, price, commission in FILLS:
        ledger.record_fill(Fill(f"{cid}-f", cid, "s1", instrument, dt.date.fromisoformat(day), Side(side),
                                float(quantity), price, commission, 0.0))
    ledger.mark_rejected("o6", "no shortable shares")
    with ledger.strategy_lock("s1") as book:
        book.record_refusal(_order("r1", "2022-03-03", B, "sell", 50), "max_gross", "gross 3.2x > 3.0x",
                            TradingState.ACTIVE)
    ledger.record_order(_order("x1", "2022-03-01", A, "buy", 5, strategy="s2"))
    ledger.record_fill(Fill("x1-f", "x1", "s2", A, dt.date(2022, 3, 2), Side.BUY, 5.0, 100.0, 1.0, 0.0))
    return ledger
