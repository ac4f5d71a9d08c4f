"""A small demo-like desk state: a ledger with orders, fills and a risk-engine refusal, and an asset
store written by :class:`~pairs_platform.store.AssetStore` (what the IO manager writes), including a
``backtest_results`` whose equity rises by ``BACKTEST_STEP`` a session."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from pairs_platform.data.calendar import trading_days
from pairs_platform.execution.broker import Fill, Order, Side, make_client_order_id
from pairs_platform.backtest.results import BacktestResult
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.ledger_state import TradingState
from pairs_platform.store import AssetStore

STRATEGY = "pairs_v1"
TOKEN = "s3cret-token-for-tests"  # the API token of the test servers
INSTRUMENTS = pd.DataFrame(
    {"asset_class": ["equity", "equity", "future", "future"], "multiplier": [1.0, 1.0, 1000.0, 1000.0],
     "currency": "USD"},
    index=pd.Index(["EQ:AAA", "EQ:BBB", "FUT:CL", "FUT:HO"], name="instrument_id"))
START = [100.0, 80.0, 70.0, 2.5]
BACKTEST_STEP = 50.0  # the stored backtest's equity: capital + 50 a session
REFUSAL = "max gross exposure 300.00% would be exceeded"
PAIRS = [("EQ:AAA", "EQ:BBB", 0.8), ("FUT:HO", "FUT:CL", 0.035)]


def sessions(last: str, n: int) -> pd.DatetimeIndex:
    return trading_days(pd.Timestamp(last) - pd.Timedelta(days=3 * n), last)[-n:]


def write_store(root: Path, days: pd.DatetimeIndex) -> pd.DataFrame:
    """Writes instruments, cleaned_prices (one file per session), pair_universe, signals and targets."""
    store = AssetStore(root)
    store.save(["instruments"], INSTRUMENTS)
    rng = np.random.default_rng(3)
    closes = pd.DataFrame(np.asarray(START) * np.exp(np.cumsum(rng.normal(0, 0.01, (len(days), 4)), axis=0)),
                          index=days, columns=INSTRUMENTS.index)
    bars = closes.stack().rename("close").reset_index().rename(columns={"level_0": "date"})
    bars = bars.assign(open=bars["close"], volume=1e6, session=bars["date"])
    store.save_partitions(["cleaned_prices"], bars, [str(d.date()) for d in days])
    universe = pd.DataFrame([{"window_id": 0, "trade_start": days[0], "trade_end": days[-1] + pd.Timedelta(days=30),
                              "y": y, "x": x, "beta": b, "alpha": 0.0, "spread_mean": 0.0, "spread_std": 0.05,
                              "half_life": 6.5} for y, x, b in PAIRS])
    store.save(["pair_universe"], universe)
    ids = [f"0|{y}~{x}" for y, x, _ in PAIRS]
    grid = pd.MultiIndex.from_product([days, ids], names=["date", "pair_id"]).to_frame(index=False)
    grid["spread"] = rng.normal(0, 0.05, len(grid))
    grid["z"] = np.linspace(-2.5, 1.0, len(grid))
    grid["entry_zone"] = grid["z"].abs() > 2
    grid["ml_proba"] = 0.6
    grid["ml_accept"] = grid["regime_ok"] = grid["entry_allowed"] = True
    store.save(["signals"], grid)
    targets = pd.concat([pd.DataFrame({"date": days[2:], "pair_id": ids[0], "leg": "y", "instrument_id": "EQ:AAA", "units": 100.0}),
                         pd.DataFrame({"date": days[2:], "pair_id": ids[0], "leg": "x", "instrument_id": "EQ:BBB", "units": -80.0}),
                         pd.DataFrame({"date": days[-3:], "pair_id": ids[1], "leg": "y", "instrument_id": "FUT:HO", "units": 2.0}),
                         pd.DataFrame({"date": days[-3:], "pair_id": ids[1], "leg": "x", "instrument_id": "FUT:CL", "units": -1.0})])
    store.save(["target_positions"], targets.reset_index(drop=True))
    store.save(["backtest_results"], backtest_result(days))
    return closes


def backtest_result(days: pd.DatetimeIndex) -> BacktestResult:
    """A stored backtest whose equity is ``1e6 + BACKTEST_STEP * i`` on session ``i``."""
    equity = pd.Series(1_000_000.0 + BACKTEST_STEP * np.arange(len(days)), index=days, name="equity")
    empty = pd.DataFrame()
    return BacktestResult(equity=equity, returns=equity.pct_change().fillna(0.0), exposure=empty, trades=empty,
                          pair_pnl=empty, positions=empty, leg_positions=empty, refusals=empty, summary={})


def _trade(ledger: Ledger, day: pd.Timestamp, instrument: str, qty: float, price: float) -> None:
    side = Side.BUY if qty > 0 else Side.SELL
    oid = make_client_order_id(STRATEGY, day, instrument)
    ledger.record_order(Order(oid, STRATEGY, day.date(), instrument, side, abs(qty), reference_price=price))
    ledger.mark_submitted(oid, "paper", None)
    ledger.record_fill(Fill(f"f-{oid}", oid, STRATEGY, instrument, day.date(), side, abs(qty), price, 1.0, 0.0))


def write_ledger(url: str, closes: pd.DataFrame) -> Ledger:
    """Fills one session after each target (as paper trading does): AAA/BBB on session 3, HO on the
    second-to-last session, where the risk engine refuses CL's order; a pending order on the last session."""
    ledger = Ledger(url)
    days = closes.index
    _trade(ledger, days[3], "EQ:AAA", 100, closes.loc[days[3], "EQ:AAA"])
    _trade(ledger, days[3], "EQ:BBB", -80, closes.loc[days[3], "EQ:BBB"])
    _trade(ledger, days[-2], "FUT:HO", 2, closes.loc[days[-2], "FUT:HO"])
    last = days[-2]
    refused = make_client_order_id(STRATEGY, last, "FUT:CL")
    with ledger.strategy_lock(STRATEGY) as book:  # as the risk engine records it
        book.record_refusal(Order(refused, STRATEGY, last.date(), "FUT:CL", Side.SELL, 1.0, reference_price=70.0),
                            "max_gross_exposure", REFUSAL, TradingState.ACTIVE)
    pending = make_client_order_id(STRATEGY, days[-1], "EQ:AAA")
    ledger.record_order(Order(pending, STRATEGY, days[-1].date(), "EQ:AAA", Side.BUY, 5.0, reference_price=100.0))
    return ledger


def build_demo_state(data_dir: Path, last_session: str = "2026-11-25", n: int = 30) -> tuple[Ledger, pd.DataFrame]:
    """The store under ``data_dir/assets`` and the ledger at ``data_dir/ledger.db``."""
    closes = write_store(data_dir / "assets", sessions(last_session, n))
    return write_ledger(f"sqlite:///{data_dir / 'ledger.db'}", closes), closes
