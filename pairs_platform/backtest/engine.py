"""Public entry points of the simulation: one parameter set with full logs, or a grid in parallel."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pairs_platform.backtest.inputs import KernelInputs, check_prices, prepare_inputs
from pairs_platform.backtest.layout import PAIR_STATE, REFUSAL, STATS, TRADE, Outputs, new_logs, new_outputs, no_logs
from pairs_platform.backtest.kernel import simulate_grid, simulate_one
from pairs_platform.backtest.metrics import performance_summary
from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.backtest.results import (
    BacktestResult, leg_positions_table, pair_pnl_table, refusals_table, trades_table,
)
from pairs_platform.risk.limits import RiskLimits

FIRST_CAPACITY = 200_000


@dataclass
class _Recorded:
    """What a recorded run hands to :func:`build_result`: series of set 0, logs trimmed to their length."""

    equity: np.ndarray
    gross: np.ndarray
    net: np.ndarray
    residual: np.ndarray
    open_pairs: np.ndarray
    targets: np.ndarray
    trades: np.ndarray
    refusals: np.ndarray
    final: np.ndarray

    @classmethod
    def of(cls, out: Outputs, targets, trades, refusals, final) -> "_Recorded":
        return cls(*(column[0] for column in out.series), targets, trades, refusals, final)


def run_recorded(inp: KernelInputs, capital: float, peak_equity: float) -> _Recorded:
    """Run parameter set 0 with trade/refusal logs, growing the logs once if they overflow."""
    arr = inp.arrays
    n_bars, n_inst = arr.market.close_px.shape
    span = np.clip(np.minimum(arr.pairs.end, n_bars - 1) - arr.pairs.start + 1, 0, None)
    trade_cap = min(int(np.sum(span // 2 + 1)), FIRST_CAPACITY)
    refusal_cap = min(int(np.sum(span)) + 1, FIRST_CAPACITY)
    for _ in range(2):
        out, logs = new_outputs(1, n_bars), new_logs(n_bars, n_inst, len(inp.pair_ids), trade_cap, refusal_cap)
        simulate_one(0, arr, float(capital), float(peak_equity), out, logs)
        n_trades, n_refusals = int(out.stats[0]["trade_records"]), int(out.stats[0]["refusals"])
        if n_trades <= trade_cap and n_refusals <= refusal_cap:
            return _Recorded.of(out, logs.targets, logs.trades[:n_trades], logs.refusals[:n_refusals], logs.final)
        trade_cap, refusal_cap = max(trade_cap, n_trades), max(refusal_cap, n_refusals)
    raise RuntimeError("trade or refusal log overflowed twice; this is a bug in the engine")


def run_backtest(prices: pd.DataFrame, schedule: pd.DataFrame, instruments: pd.DataFrame | None = None,
                 params: StrategyParams = StrategyParams(), costs: CostModel = CostModel(),
                 limits: RiskLimits = RiskLimits(), capital: float = 1_000_000.0,
                 entry_allowed: np.ndarray | None = None, open_prices: pd.DataFrame | None = None,
                 peak_equity: float | None = None) -> BacktestResult:
    """Simulate the pair schedule on ``prices`` with one parameter set; see :class:`BacktestResult`.

    ``prices``: wide closes (dates x instrument ids); ``schedule``: rows of
    :func:`pairs_platform.pairs.schedule.build_pair_schedule`; ``instruments``: the instrument
    table (lot_size, multiplier, asset_class, shortable, borrow_fee_bps), None for 1-unit lots of
    equities; ``entry_allowed``: optional (dates, schedule rows) boolean mask (e.g. an ML filter), or
    (dates, 1) for one mask of every row: an entry decided at (t, k) is taken only where True (else
    refused as 'ml_filter');
    ``open_prices``: wide opens, needed for ``params.fill='next_open'``; ``peak_equity``: the peak the
    drawdown circuit breaker starts from (default ``capital``; pass the running peak when chaining runs).
    """
    if not capital > 0:
        raise ValueError(f"capital must be > 0, got {capital}")
    if len(schedule) == 0:  # nothing was selected: a flat book over the whole price history
        return _flat_result(prices, schedule, params, costs, limits, capital)
    inp = prepare_inputs(prices, schedule, instruments, [params], costs, limits, entry_allowed, open_prices)
    raw = run_recorded(inp, capital, capital if peak_equity is None else peak_equity)
    return build_result(inp, raw, prices.columns, params, costs, limits, capital)


def _flat_result(prices, schedule, params, costs, limits, capital) -> BacktestResult:
    check_prices(prices)
    dates = pd.DatetimeIndex(prices.index)
    sched = pd.DataFrame(columns=["window_id", "y", "x", "beta"]).astype({"window_id": "int64", "beta": "float64"})
    inp = KernelInputs(dates, pd.Index([]), sched, [], None, 0)
    out = new_outputs(1, len(dates))
    out.series.equity[0] = capital
    raw = _Recorded.of(out, np.zeros((len(dates), 0)), np.zeros(0, TRADE), np.zeros(0, REFUSAL), np.zeros(0, PAIR_STATE))
    return build_result(inp, raw, prices.columns, params, costs, limits, capital)


def build_result(inp: KernelInputs, raw: _Recorded, all_columns, params, costs, limits, capital) -> BacktestResult:
    first = inp.first_bar
    dates = inp.dates[first:].rename("date")
    eq = raw.equity[first:]
    equity = pd.Series(eq, index=dates, name="equity")
    returns = equity.pct_change()
    returns.iloc[0] = equity.iloc[0] / capital - 1.0
    returns.name = "returns"
    with np.errstate(divide="ignore", invalid="ignore"):
        exposure = pd.DataFrame({"gross": raw.gross[first:] / eq, "net": raw.net[first:] / eq,
                                 "gross_usd": raw.gross[first:], "net_usd": raw.net[first:],
                                 "residual_usd": raw.residual[first:],
                                 "open_pairs": raw.open_pairs[first:].astype(np.int64)}, index=dates)
    trades = trades_table(inp, raw.trades)
    refusals = refusals_table(inp, raw.refusals)
    positions = pd.DataFrame(raw.targets[first:], index=dates, columns=inp.instrument_ids)
    positions = positions.reindex(columns=pd.Index(all_columns), fill_value=0.0)
    legs = leg_positions_table(inp, trades, raw.final)
    legs = legs[legs["date"] >= dates[0]].reset_index(drop=True)
    summary = performance_summary(returns, trades=trades, equity=equity)
    return BacktestResult(equity=equity, returns=returns, exposure=exposure, trades=trades,
                          pair_pnl=pair_pnl_table(inp, trades), positions=positions, leg_positions=legs,
                          refusals=refusals, summary=summary, params=params, costs=costs, limits=limits,
                          capital=float(capital))


@dataclass
class GridRun:
    """Per-parameter-set daily series and counters of :func:`run_grid` (no trade logs)."""

    dates: pd.DatetimeIndex
    params: list
    equity: pd.DataFrame  # dates x parameter set
    gross: pd.DataFrame
    net: pd.DataFrame
    stats: pd.DataFrame  # parameter set x counters


STAT_NAMES = [name for name in STATS.names if name != "trade_records"]
"""Per-parameter-set counters reported in :attr:`GridRun.stats`."""


def run_grid_arrays(inp: KernelInputs, capital: float, peak_equity: float | None = None) -> Outputs:
    """Raw :class:`~pairs_platform.backtest.layout.Outputs` of every parameter set in ``inp``, in parallel."""
    arr = inp.arrays
    out = new_outputs(arr.params.shape[0], arr.market.close_px.shape[0])
    peak = float(capital if peak_equity is None else peak_equity)
    simulate_grid(arr, float(capital), peak, out, no_logs())
    return out


def run_grid(prices: pd.DataFrame, schedule: pd.DataFrame, params: list[StrategyParams],
             instruments: pd.DataFrame | None = None, costs: CostModel = CostModel(),
             limits: RiskLimits = RiskLimits(), capital: float = 1_000_000.0,
             entry_allowed: np.ndarray | None = None, open_prices: pd.DataFrame | None = None) -> GridRun:
    """Simulate many parameter sets at once (parallel over the cores); equity and counters only.

    Each parameter set's equity equals what :func:`run_backtest` gives for it alone.
    """
    if not params:
        raise ValueError("run_grid needs at least one StrategyParams")
    inp = prepare_inputs(prices, schedule, instruments, list(params), costs, limits, entry_allowed, open_prices)
    series, stats = run_grid_arrays(inp, capital)
    first = inp.first_bar
    dates = inp.dates[first:].rename("date")
    cols = pd.RangeIndex(len(params), name="param_set")
    frame = lambda values: pd.DataFrame(values[:, first:].T, index=dates, columns=cols)  # noqa: E731
    table = pd.DataFrame({name: stats[name] for name in STAT_NAMES}, index=cols)
    return GridRun(dates, list(params), frame(series.equity), frame(series.gross), frame(series.net), table)
