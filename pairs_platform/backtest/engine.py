"""Public entry points of the simulation: one parameter set with full logs, or a grid in parallel."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pairs_platform.backtest import layout as L
from pairs_platform.backtest.inputs import KernelInputs, check_prices, prepare_inputs
from pairs_platform.backtest.kernel import simulate_grid, simulate_one
from pairs_platform.backtest.metrics import performance_summary
from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.backtest.results import (
    BacktestResult, leg_positions_table, pair_pnl_table, refusals_table, trades_table,
)
from pairs_platform.risk.limits import RiskLimits

FIRST_CAPACITY = 200_000


def _run_recorded(inp: KernelInputs, capital: float, peak_equity: float) -> dict:
    """Run parameter set 0 with trade/refusal logs, growing the logs once if they overflow."""
    n_bars, n_inst = inp.market[1].shape
    n_pairs = len(inp.pair_ids)
    span = np.clip(np.minimum(inp.pairs[3], n_bars - 1) - inp.pairs[2] + 1, 0, None)
    trade_cap = min(int(np.sum(span // 2 + 1)), FIRST_CAPACITY)
    refusal_cap = min(int(np.sum(span)) + 1, FIRST_CAPACITY)
    for _ in range(2):
        out = dict(series=np.zeros((1, L.N_SER, n_bars)), stats=np.zeros((1, L.N_ST)),
                   targets=np.zeros((n_bars, n_inst)), tf=np.zeros((trade_cap, L.N_TF)),
                   ti=np.zeros((trade_cap, L.N_TI), dtype=np.int64), ri=np.zeros((refusal_cap, L.N_RI), dtype=np.int64),
                   rz=np.zeros(refusal_cap), final_f=np.zeros((n_pairs, L.N_FS)),
                   final_i=np.zeros((n_pairs, L.N_IS), dtype=np.int64))
        simulate_one(0, inp.market, inp.pairs, inp.prm, inp.costs, float(capital), float(peak_equity), out["series"], out["stats"],
                     True, out["targets"], out["tf"], out["ti"], out["ri"], out["rz"], out["final_f"], out["final_i"])
        n_trades, n_refusals = int(out["stats"][0, L.ST_TRADE_RECORDS]), int(out["stats"][0, L.ST_REFUSALS])
        if n_trades <= trade_cap and n_refusals <= refusal_cap:
            out["n_trades"], out["n_refusals"] = n_trades, n_refusals
            return out
        trade_cap, refusal_cap = max(trade_cap, n_trades), max(refusal_cap, n_refusals)
    raise RuntimeError("trade or refusal log overflowed twice; this is a bug in the engine")


def run_backtest(prices: pd.DataFrame, schedule: pd.DataFrame, instruments: pd.DataFrame | None = None,
                 params: StrategyParams = StrategyParams(), costs: CostModel = CostModel(),
                 limits: RiskLimits = RiskLimits(), capital: float = 1_000_000.0,
                 entry_allowed: np.ndarray | None = None, open_prices: pd.DataFrame | None = None,
                 peak_equity: float | None = None) -> BacktestResult:
    """Simulate the pair schedule on ``prices`` with one parameter set; see :class:`BacktestResult`.

    ``prices``: wide closes (dates x instrument ids); ``schedule``: rows of
    :func:`pairs_platform.backtest.walkforward.build_pair_schedule`; ``instruments``: the instrument
    table (lot_size, multiplier, asset_class, shortable, borrow_fee_bps), None for 1-unit lots of
    equities; ``entry_allowed``: optional (dates, schedule rows) boolean mask (e.g. an ML filter):
    an entry decided at (t, k) is taken only where True (else refused as 'ml_filter');
    ``open_prices``: wide opens, needed for ``params.fill='next_open'``; ``peak_equity``: the peak the
    drawdown circuit breaker starts from (default ``capital``; pass the running peak when chaining runs).
    """
    if not capital > 0:
        raise ValueError(f"capital must be > 0, got {capital}")
    if len(schedule) == 0:  # nothing was selected: a flat book over the whole price history
        return _flat_result(prices, schedule, params, costs, limits, capital)
    inp = prepare_inputs(prices, schedule, instruments, [params], costs, limits, entry_allowed, open_prices)
    raw = _run_recorded(inp, capital, capital if peak_equity is None else peak_equity)
    return _build_result(inp, raw, prices.columns, params, costs, limits, capital)


def _flat_result(prices, schedule, params, costs, limits, capital) -> BacktestResult:
    check_prices(prices)
    dates = pd.DatetimeIndex(prices.index)
    sched = pd.DataFrame(columns=["window_id", "y", "x", "beta"]).astype({"window_id": "int64", "beta": "float64"})
    inp = KernelInputs(dates, pd.Index([]), sched, [], (), (), np.zeros((1, L.N_PRM)), np.zeros(L.N_COST), 0)
    n = len(dates)
    raw = dict(series=np.zeros((1, L.N_SER, n)), targets=np.zeros((n, 0)), tf=np.zeros((0, L.N_TF)),
               ti=np.zeros((0, L.N_TI), dtype=np.int64), ri=np.zeros((0, L.N_RI), dtype=np.int64), rz=np.zeros(0),
               final_f=np.zeros((0, L.N_FS)), final_i=np.zeros((0, L.N_IS), dtype=np.int64), n_trades=0, n_refusals=0)
    raw["series"][0, L.SER_EQUITY] = capital
    return _build_result(inp, raw, prices.columns, params, costs, limits, capital)


def _build_result(inp: KernelInputs, raw: dict, all_columns, params, costs, limits, capital) -> BacktestResult:
    first = inp.first_bar
    dates = inp.dates[first:].rename("date")
    series = raw["series"][0][:, first:]
    equity = pd.Series(series[L.SER_EQUITY], index=dates, name="equity")
    returns = equity.pct_change()
    returns.iloc[0] = equity.iloc[0] / capital - 1.0
    returns.name = "returns"
    with np.errstate(divide="ignore", invalid="ignore"):
        exposure = pd.DataFrame({"gross": series[L.SER_GROSS] / series[L.SER_EQUITY],
                                 "net": series[L.SER_NET] / series[L.SER_EQUITY],
                                 "gross_usd": series[L.SER_GROSS], "net_usd": series[L.SER_NET],
                                 "residual_usd": series[L.SER_RESIDUAL],
                                 "open_pairs": series[L.SER_OPEN_PAIRS].astype(np.int64)}, index=dates)
    trades = trades_table(inp, raw["tf"][:raw["n_trades"]], raw["ti"][:raw["n_trades"]])
    refusals = refusals_table(inp, raw["ri"][:raw["n_refusals"]], raw["rz"][:raw["n_refusals"]])
    positions = pd.DataFrame(raw["targets"][first:], index=dates, columns=inp.instrument_ids)
    positions = positions.reindex(columns=pd.Index(all_columns), fill_value=0.0)
    legs = leg_positions_table(inp, trades, raw["final_f"], raw["final_i"])
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


STAT_NAMES = {L.ST_TRADES: "trade_count", L.ST_WINS: "wins", L.ST_GROSS_PROFIT: "gross_profit",
              L.ST_GROSS_LOSS: "gross_loss", L.ST_HOLD_BARS: "holding_bars", L.ST_TRADED_NOTIONAL: "traded_notional",
              L.ST_REFUSALS: "refusals", L.ST_COMMISSION: "commission", L.ST_SLIPPAGE: "slippage",
              L.ST_BORROW: "borrow"}


def run_grid_arrays(inp: KernelInputs, capital: float, peak_equity: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Raw (series (P, N_SER, T), stats (P, N_ST)) of every parameter set in ``inp``, in parallel."""
    n_params, n_bars = inp.prm.shape[0], inp.market[1].shape[0]
    series = np.zeros((n_params, L.N_SER, n_bars))
    stats = np.zeros((n_params, L.N_ST))
    peak = float(capital if peak_equity is None else peak_equity)
    simulate_grid(inp.market, inp.pairs, inp.prm, inp.costs, float(capital), peak, series, stats)
    return series, stats


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
    frame = lambda j: pd.DataFrame(series[:, j, first:].T, index=dates, columns=cols)  # noqa: E731
    table = pd.DataFrame({name: stats[:, j] for j, name in STAT_NAMES.items()}, index=cols)
    return GridRun(dates, list(params), frame(L.SER_EQUITY), frame(L.SER_GROSS), frame(L.SER_NET), table)
