"""The backtest result and its tables, built from the compiled kernel's arrays (vectorized)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pairs_platform.backtest.inputs import KernelInputs
from pairs_platform.backtest.layout import PEND_ENTER
from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.risk.limits import REFUSAL_NAMES, RiskLimits
from pairs_platform.signals.rules import EXIT_NAMES

TRADE_COLUMNS = [
    "trade_id", "pair_id", "window_id", "y", "x", "side", "direction", "entry_signal_date", "entry_date",
    "exit_signal_date", "exit_date", "exit_reason", "holding_days", "units_y", "units_x", "beta",
    "entry_price_y", "entry_price_x", "exit_price_y", "exit_price_x", "entry_z", "exit_z", "entry_notional",
    "exit_notional", "commission", "slippage", "borrow", "costs", "pnl", "return"]


@dataclass
class BacktestResult:
    """Outputs of :func:`pairs_platform.backtest.run_backtest` (dates from the first trading bar on).

    - ``equity``/``returns``: daily, marked at the close.
    - ``exposure``: gross and net as fractions of equity, plus ``gross_usd``, ``net_usd``,
      ``residual_usd`` (sum over open pairs of x notional + beta x y notional: what the rounded hedge
      leaves unhedged) and ``open_pairs``, all of the holdings at each close.
    - ``positions``: date x instrument units the strategy *targets after the decisions at that
      close* (filled at the next price); the last row is the live target.
    - ``leg_positions``: the same targets per pair and leg (long table).
    - ``trades``, ``pair_pnl`` (per schedule row), ``refusals`` (refused entries with reasons),
      ``summary`` (:func:`pairs_platform.backtest.performance_summary`).
    """

    equity: pd.Series
    returns: pd.Series
    exposure: pd.DataFrame
    trades: pd.DataFrame
    pair_pnl: pd.DataFrame
    positions: pd.DataFrame
    leg_positions: pd.DataFrame
    refusals: pd.DataFrame
    summary: dict
    params: StrategyParams = field(default_factory=StrategyParams)
    costs: CostModel = field(default_factory=CostModel)
    limits: RiskLimits = field(default_factory=RiskLimits)
    capital: float = 1_000_000.0


TEXT_COLUMNS = ("pair_id", "y", "x", "direction", "exit_reason", "reason", "leg", "instrument_id")


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Same string dtype for text columns whether or not the table is empty (pandas 2 and 3)."""
    for column in TEXT_COLUMNS:
        if column in frame:
            frame[column] = frame[column].astype("str")
    return frame


def _string_rank(values: np.ndarray) -> np.ndarray:
    """Rank of each string in sorted order (equal strings share a rank)."""
    return np.unique(values, return_inverse=True)[1].reshape(-1)


def _date_or_nat(dates: pd.DatetimeIndex, idx: np.ndarray) -> pd.DatetimeIndex:
    out = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = (idx >= 0) & (idx < len(dates))
    out[ok] = dates.values[idx[ok]]
    return pd.DatetimeIndex(out)


def trades_table(inp: KernelInputs, tr: np.ndarray) -> pd.DataFrame:
    """One row per trade (closed, and still open at the end with exit_reason 'open').

    ``tr``: the kernel's trade log (dtype :data:`~pairs_platform.backtest.layout.TRADE`).
    """
    sched, dates = inp.schedule, inp.dates
    ids = np.asarray(inp.pair_ids, dtype=object)
    # ordered by (entry date, pair id) on integer keys before the frame exists: a fill outside the
    # dates (NaT entry date) sorts last, ties keep the log's order (as a stable sort of the frame)
    entry = np.where((tr["entry_fill"] >= 0) & (tr["entry_fill"] < len(dates)), tr["entry_fill"], len(dates))
    tr = tr[np.lexsort((_string_rank(ids)[tr["pair"]], entry))]
    k = tr["pair"]
    held_to = np.where(tr["exit_fill"] >= 0, tr["exit_fill"], len(dates) - 1)
    frame = pd.DataFrame({
        "pair_id": ids[k],
        "window_id": sched["window_id"].to_numpy()[k] if "window_id" in sched else 0,
        "y": sched["y"].to_numpy()[k], "x": sched["x"].to_numpy()[k],
        "side": tr["side"], "direction": np.where(tr["side"] > 0, "long_spread", "short_spread"),
        "entry_signal_date": _date_or_nat(dates, tr["entry_dec"]),
        "entry_date": _date_or_nat(dates, tr["entry_fill"]),
        "exit_signal_date": _date_or_nat(dates, tr["exit_dec"]),
        "exit_date": _date_or_nat(dates, tr["exit_fill"]),
        "exit_reason": pd.Series(tr["reason"]).map(EXIT_NAMES).to_numpy(),
        "holding_days": held_to - tr["entry_fill"],
        "units_y": tr["uy"], "units_x": tr["ux"], "beta": tr["beta"],
        "entry_price_y": tr["entry_py"], "entry_price_x": tr["entry_px"],
        "exit_price_y": tr["exit_py"], "exit_price_x": tr["exit_px"],
        "entry_z": tr["entry_z"], "exit_z": tr["exit_z"],
        "entry_notional": tr["entry_notional"], "exit_notional": tr["exit_notional"],
        "commission": tr["comm"], "slippage": tr["slip"], "borrow": tr["borrow"],
        "costs": tr["comm"] + tr["slip"] + tr["borrow"], "pnl": tr["pnl"],
    })
    frame["return"] = frame["pnl"] / frame["entry_notional"]
    frame.insert(0, "trade_id", np.arange(len(frame), dtype=np.int64))
    return _text(frame[TRADE_COLUMNS])


def refusals_table(inp: KernelInputs, refusals: np.ndarray) -> pd.DataFrame:
    """One row per refused entry: date, pair, side, reason, z-score.

    ``refusals``: the kernel's refusal log (dtype :data:`~pairs_platform.backtest.layout.REFUSAL`).
    """
    k = refusals["pair"]
    return _text(pd.DataFrame({
        "date": inp.dates.values[refusals["bar"]],
        "pair_id": np.asarray(inp.pair_ids, dtype=object)[k],
        "y": inp.schedule["y"].to_numpy()[k], "x": inp.schedule["x"].to_numpy()[k],
        "side": refusals["side"],
        "reason": pd.Series(refusals["code"]).map(REFUSAL_NAMES).to_numpy(),
        "z": refusals["z"],
    }))


def pair_pnl_table(inp: KernelInputs, trades: pd.DataFrame) -> pd.DataFrame:
    """Per schedule row: trades, wins, P&L (net of all costs) and costs; rows with no trade included.

    Trades are grouped by integer pair codes, not by the pair-id strings (same groups, same sums).
    """
    sched = inp.schedule
    ids = pd.Index(inp.pair_ids, name="pair_id")
    groups = ids.unique()
    code = groups.get_indexer(trades["pair_id"])
    at = groups.get_indexer(ids)  # each row's group (rows sharing an id share its trades)
    sums = trades[["pnl", "costs"]].groupby(code).sum().reindex(np.arange(len(groups)), fill_value=0.0)
    win = trades["pnl"].to_numpy() > 0
    return pd.DataFrame({"window_id": sched["window_id"].to_numpy() if "window_id" in sched else 0,
                         "y": sched["y"].to_numpy(), "x": sched["x"].to_numpy(), "beta": sched["beta"].to_numpy(),
                         "trades": np.bincount(code, minlength=len(groups))[at].astype(np.int64),
                         "wins": np.bincount(code[win], minlength=len(groups))[at].astype(np.int64),
                         "pnl": sums["pnl"].to_numpy()[at], "costs": sums["costs"].to_numpy()[at]}, index=ids)


def leg_positions_table(inp: KernelInputs, trades: pd.DataFrame, final: np.ndarray) -> pd.DataFrame:
    """Target units per (date, pair, leg): from each trade's entry signal to the bar before its exit signal.

    ``final``: the kernel's per-pair state at the end (dtype :data:`~pairs_platform.backtest.layout.PAIR_STATE`);
    entries decided at the last bar are still pending there.
    """
    n = len(inp.dates)
    pos = pd.Index(inp.pair_ids)
    k = pos.get_indexer(trades["pair_id"])
    first = inp.dates.get_indexer(trades["entry_signal_date"])
    exit_dec = inp.dates.get_indexer(trades["exit_signal_date"])
    last = np.where(exit_dec >= 0, exit_dec - 1, n - 1)
    uy, ux = trades["units_y"].to_numpy(), trades["units_x"].to_numpy()
    pending = np.flatnonzero(final["pend"] == PEND_ENTER)
    k = np.r_[k, pending]
    first = np.r_[first, final["entry_dec"][pending]]
    last = np.r_[last, np.full(len(pending), n - 1)]
    uy, ux = np.r_[uy, final["new_uy"][pending]], np.r_[ux, final["new_ux"][pending]]
    span = np.maximum(last - first + 1, 0)
    rows = np.repeat(np.arange(len(k)), span)
    bar = first[rows] + (np.arange(len(rows)) - np.repeat(np.cumsum(span) - span, span))
    # y rows then x rows, stably ordered by (date, pair id, leg y before x) on integer keys before any
    # string column exists (sorting the finished frame reordered its string columns: most of the cost)
    ids = np.asarray(inp.pair_ids, dtype=object)
    pair_rank = _string_rank(ids)
    row_k, row_bar, is_x = np.r_[k[rows], k[rows]], np.r_[bar, bar], np.repeat(np.array([0, 1]), len(rows))
    key = (row_bar * (len(ids) + 1) + pair_rank[row_k]) * 2 + is_x  # (bar, rank, leg) as one integer
    order = np.argsort(key, kind="stable")
    row_k, is_x = row_k[order], is_x[order].astype(bool)
    # string columns by taking from small string indexes (no per-row Python string objects)
    sched = inp.schedule
    legs = np.r_[sched["y"].to_numpy(dtype=object), sched["x"].to_numpy(dtype=object)]
    text = lambda values, take: pd.Index(values, dtype="str").take(take)  # noqa: E731
    return _text(pd.DataFrame({"date": inp.dates.values[row_bar[order]], "pair_id": text(ids, row_k),
                               "leg": text(np.array(["y", "x"], dtype=object), is_x.astype(np.int64)),
                               "instrument_id": text(legs, row_k + is_x * len(sched)),
                               "units": np.r_[uy[rows], ux[rows]][order]}))
