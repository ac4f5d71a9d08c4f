"""Record types of the compiled backtest kernel (the pattern of vectorbt's ``portfolio/enums.py``).

Inputs and outputs are ``typing.NamedTuple`` records, which numba passes as tuples (attribute access
compiles to a field offset, nothing is boxed). Per-pair state, trade and refusal logs, per-parameter-set
statistics and the parameter sets themselves are numpy structured arrays: ``state[k]`` is a record
*view*, so ``state[k].side = 1`` writes the array, and passing a record to a compiled helper passes a
pointer (no reference counting, unlike an array argument).
"""
from __future__ import annotations

from typing import NamedTuple, get_type_hints

import numpy as np

from pairs_platform.risk.checks import ExposureLimits

PEND_NONE = 0
PEND_ENTER = 1
PEND_EXIT = 2

_F8, _I8 = np.float64, np.int64


class Market(NamedTuple):
    """Per-bar prices and per-instrument static data of the instruments the schedule uses.

    Attributes
    ----------
    fill_px, close_px : ndarray
        (T, N) fill prices (next close or next open) and closes.
    accrual : ndarray
        (T,) years since the previous bar (actual/365), for borrow fees.
    mult, lot : ndarray
        (N,) contract multiplier and lot size.
    classes : ndarray
        (N,) int64 asset class code (index into ``ASSET_CLASSES``).
    shortable : ndarray
        (N,) bool, whether the instrument may be sold short.
    borrow : ndarray
        (N,) annual borrow rate of a short position.
    """

    fill_px: np.ndarray
    close_px: np.ndarray
    accrual: np.ndarray
    mult: np.ndarray
    lot: np.ndarray
    classes: np.ndarray
    shortable: np.ndarray
    borrow: np.ndarray


class PairSchedule(NamedTuple):
    """Schedule rows (pair x trading window) and their signal stacks.

    Attributes
    ----------
    iy, ix : ndarray
        (K,) instrument index of the y and x legs.
    start, end : ndarray
        (K,) first and last bar of the row's trading window.
    half_life : ndarray
        (K,) spread half-life in bars (NaN if unknown), for the half-life time stop.
    zscores, hedge, vols : ndarray
        (S, T, C) z-score, hedge-ratio and spread-volatility stacks, one column per distinct signal;
        a parameter set picks one of each.
    allow : ndarray
        (T, K) bool entry mask, (T, 1) for one mask of every row, or (1, 1) True when every entry is allowed.
    row_lo, row_hi : ndarray
        (T,) the rows ``row_lo[t] <= k < row_hi[t]`` hold every row active at bar t.
    signal_col : ndarray
        (K,) int64 column of the signal stacks holding row k's signals: rows with the same signal
        (same legs, hedge and spread statistics, e.g. one pair over many intraday sessions) share one.
    """

    iy: np.ndarray
    ix: np.ndarray
    start: np.ndarray
    end: np.ndarray
    half_life: np.ndarray
    zscores: np.ndarray
    hedge: np.ndarray
    vols: np.ndarray
    allow: np.ndarray
    row_lo: np.ndarray
    row_hi: np.ndarray
    signal_col: np.ndarray


class Costs(NamedTuple):
    """Trading costs as scalars: commission per unit, minimum commission per order, slippage rate."""

    per_unit: float
    minimum: float
    slippage: float


class KernelArrays(NamedTuple):
    """Everything :func:`pairs_platform.backtest.kernel.simulate_one` reads.

    Attributes
    ----------
    market : Market
    pairs : PairSchedule
    limits : ExposureLimits
        Portfolio limits as scalars.
    class_limits : ndarray
        Per-asset-class gross limit (fraction of equity, inf where none).
    costs : Costs
    params : ndarray
        (P,) parameter sets, dtype :data:`PARAMS`.
    """

    market: Market
    pairs: PairSchedule
    limits: ExposureLimits
    class_limits: np.ndarray
    costs: Costs
    params: np.ndarray


class Series(NamedTuple):
    """Per parameter set and bar (P, T), marked at the close: equity, gross, net, residual, open pairs."""

    equity: np.ndarray
    gross: np.ndarray
    net: np.ndarray
    residual: np.ndarray
    open_pairs: np.ndarray


class Outputs(NamedTuple):
    """What every run writes: ``series`` (:class:`Series`) and ``stats`` ((P,) dtype :data:`STATS`)."""

    series: Series
    stats: np.ndarray


class Logs(NamedTuple):
    """Logs of a recorded run (``record`` True); a grid run passes :func:`no_logs`.

    Attributes
    ----------
    record : bool
        Whether to write the logs.
    targets : ndarray
        (T, N) instrument units targeted after the decisions at each close.
    trades : ndarray
        Trade log, dtype :data:`TRADE`.
    refusals : ndarray
        Refused entries, dtype :data:`REFUSAL`.
    final : ndarray
        (K,) per-pair state, dtype :data:`PAIR_STATE`; a recorded run keeps its state here.
    """

    record: bool
    targets: np.ndarray
    trades: np.ndarray
    refusals: np.ndarray
    final: np.ndarray


class Book(NamedTuple):
    """Per-instrument book of one run: held and projected (after today's decisions) units.

    Attributes
    ----------
    position, abs_units : ndarray
        (N,) net units held, and sum over pairs of |leg units|.
    proj, proj_abs : ndarray
        The same after the orders decided at the current bar.
    class_gross : ndarray
        Projected gross (currency) per asset class.
    """

    position: np.ndarray
    abs_units: np.ndarray
    proj: np.ndarray
    proj_abs: np.ndarray
    class_gross: np.ndarray


class Account(NamedTuple):
    """Portfolio scalars the entry decisions of a bar see: equity, its running peak, open pairs."""

    equity: float
    peak: float
    open_pairs: int


class Candidate(NamedTuple):
    """A sized entry that passed the checks: schedule row, leg instruments, side, z, hedge, units, half-life."""

    pair: int
    iy: int
    ix: int
    side: int
    z: float
    beta: float
    units_y: float
    units_x: float
    half_life: float


class ExitFill(NamedTuple):
    """How a trade ended: fill bar (-1: still open), leg prices, traded notional, P&L, reason code."""

    bar: int
    price_y: float
    price_x: float
    notional: float
    pnl: float
    reason: int


class Rules(NamedTuple):
    """One parameter set as scalars, built once per run from its :data:`PARAMS` record (same fields)."""

    entry_z: float
    exit_z: float
    stop_z: float
    max_hold: float
    max_hold_hl: float
    cooldown: int
    pnl_stop: float
    sizing: int
    pair_capital: float
    vol_target: float
    z_index: int
    hedge_index: int
    vol_index: int


def _line_padded(dtype: np.dtype, line: int = 64) -> np.dtype:
    """``dtype`` with its item size rounded up to whole cache lines of ``line`` bytes."""
    names = dtype.names
    return np.dtype({"names": names, "formats": [dtype.fields[n][0] for n in names],
                     "offsets": [dtype.fields[n][1] for n in names], "itemsize": -(-dtype.itemsize // line) * line})


PARAMS = np.dtype([(name, _I8 if kind is int else _F8) for name, kind in get_type_hints(Rules).items()], align=True)
"""One parameter set as stored (fields of :class:`Rules`; ``*_index``: position in the signal stacks)."""

PAIR_STATE = np.dtype([
    ("side", _I8), ("pend", _I8), ("cool_until", _I8), ("entry_dec", _I8), ("max_hold", _I8), ("pend_side", _I8),
    ("reason", _I8), ("entry_fill", _I8), ("exit_dec", _I8),
    ("uy", _F8), ("ux", _F8), ("py", _F8), ("px", _F8), ("comm", _F8), ("slip", _F8), ("borrow", _F8),
    ("new_uy", _F8), ("new_ux", _F8), ("entry_z", _F8), ("exit_z", _F8), ("notional", _F8), ("beta", _F8),
], align=True)
PAIR_STATE = _line_padded(PAIR_STATE)
"""Per schedule row: open trade (units, entry fills, costs so far), pending order, decision bars.

The fields every per-bar pair loop reads (side, pending order, cool-down) come first and rows are
padded to whole cache lines, so that scan touches one line per row (a few percent of the
benchmark's 1-thread CPU time, measured).
"""

TRADE = np.dtype([
    ("pair", _I8), ("side", _I8), ("entry_dec", _I8), ("entry_fill", _I8), ("exit_dec", _I8),
    ("exit_fill", _I8), ("reason", _I8), ("uy", _F8), ("ux", _F8), ("entry_py", _F8), ("entry_px", _F8),
    ("exit_py", _F8), ("exit_px", _F8), ("comm", _F8), ("slip", _F8), ("borrow", _F8), ("pnl", _F8),
    ("entry_notional", _F8), ("exit_notional", _F8), ("entry_z", _F8), ("exit_z", _F8), ("beta", _F8),
], align=True)
"""One trade: bars of the entry/exit decisions and fills (-1: none), units, prices, costs, P&L."""

REFUSAL = np.dtype([("bar", _I8), ("pair", _I8), ("side", _I8), ("code", _I8), ("z", _F8)], align=True)
"""One refused entry: bar, schedule row, side, refusal code, z-score."""

STATS = np.dtype([
    ("trade_count", _I8), ("wins", _I8), ("gross_profit", _F8), ("gross_loss", _F8), ("holding_bars", _I8),
    ("traded_notional", _F8), ("refusals", _I8), ("commission", _F8), ("slippage", _F8), ("borrow", _F8),
    ("trade_records", _I8),
], align=True)
"""Per parameter set counters; ``trade_records`` counts logged trades (recorded runs only)."""


def new_outputs(n_params: int, n_bars: int) -> Outputs:
    """Zeroed :class:`Outputs` for ``n_params`` parameter sets over ``n_bars`` bars."""
    return Outputs(Series(*(np.zeros((n_params, n_bars)) for _ in Series._fields)), np.zeros(n_params, STATS))


def new_logs(n_bars: int, n_inst: int, n_pairs: int, trade_cap: int, refusal_cap: int) -> Logs:
    """Zeroed :class:`Logs` of a recorded run with room for ``trade_cap`` trades and ``refusal_cap`` refusals."""
    return Logs(True, np.zeros((n_bars, n_inst)), np.zeros(trade_cap, TRADE), np.zeros(refusal_cap, REFUSAL),
                np.zeros(n_pairs, PAIR_STATE))


def no_logs() -> Logs:
    """The :class:`Logs` of a run without logs (grid runs): ``record`` False, one-row placeholders."""
    logs = new_logs(1, 1, 1, 1, 1)
    return logs._replace(record=False)
