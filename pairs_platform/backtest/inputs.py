"""Turn prices, a pair schedule, instruments and parameter sets into the compiled kernel's arrays.

Everything here is vectorized over dates and pairs; it validates inputs and raises errors that
name the instrument, date and field to fix. Signal stacks hold one column per distinct signal
(:func:`signal_columns`), not per schedule row: an intraday schedule repeats each pair once per
session, and per-row (bars x rows) stacks grew with sessions x sessions x pairs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numba import njit

from pairs_platform.backtest.layout import PARAMS, Costs, KernelArrays, Market, PairSchedule
from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.risk.checks import exposure_limits
from pairs_platform.risk.limits import ASSET_CLASSES, RiskLimits
from pairs_platform.risk.sizing import SIZING_EQUAL, SIZING_VOL_TARGET
from pairs_platform.signals import spreads as sp
from pairs_platform.signals.dynamic_hedge import rolling_hedge, spread_change_volatility

INSTRUMENT_COLUMNS = ("lot_size", "multiplier", "asset_class", "shortable", "borrow_fee_bps")
SIGNAL_KEY_FLOATS = ("beta", "alpha", "spread_mean", "spread_std")
"""With the legs y and x, the schedule fields a row's spread, z-scores, hedges and volatilities depend on."""


@dataclass
class KernelInputs:
    """The kernel's records plus the labels to read its outputs.

    Attributes
    ----------
    dates : DatetimeIndex
        Bars of the run (rows of every (T, ...) array).
    instrument_ids : Index
        Instruments the schedule uses (columns of every (T, N) array).
    schedule : DataFrame
        Schedule rows (K), in the kernel's row order.
    pair_ids : list
        Pair id of each schedule row.
    arrays : KernelArrays or None
        What :func:`pairs_platform.backtest.kernel.simulate_one` reads (None for an empty schedule).
    first_bar : int
        First bar of any trading window.
    """

    dates: pd.DatetimeIndex
    instrument_ids: pd.Index
    schedule: pd.DataFrame
    pair_ids: list
    arrays: KernelArrays | None
    first_bar: int


def check_prices(prices: pd.DataFrame, name: str = "prices") -> None:
    """Raise unless ``prices`` is a wide frame on a sorted, unique DatetimeIndex."""
    if not isinstance(prices, pd.DataFrame) or not isinstance(prices.index, pd.DatetimeIndex):
        raise TypeError(f"{name} must be a wide DataFrame indexed by a DatetimeIndex named 'date' "
                        "(one column per instrument id); pivot long prices first")
    if not prices.index.is_monotonic_increasing or prices.index.has_duplicates:
        raise ValueError(f"{name} index must be sorted ascending with unique dates; sort and deduplicate it")


def instrument_arrays(ids: pd.Index, instruments: pd.DataFrame | None, costs: CostModel) -> tuple:
    """(multiplier, lot, class code, shortable, annual borrow rate) per instrument id."""
    n = len(ids)
    if instruments is None:
        table = pd.DataFrame({"lot_size": 1.0, "multiplier": 1.0, "asset_class": "equity", "shortable": True,
                              "borrow_fee_bps": np.nan}, index=ids)
    else:
        missing_cols = [c for c in INSTRUMENT_COLUMNS if c not in instruments.columns]
        if missing_cols:
            raise ValueError(f"instrument table lacks columns {missing_cols}; build it with "
                             "pairs_platform.data.instruments (see docs/architecture.md)")
        missing = [i for i in ids if i not in instruments.index]
        if missing:
            raise KeyError(f"instrument table has no rows for {missing}; add them (lot_size, multiplier, "
                           "asset_class, shortable, borrow_fee_bps) or drop those pairs from the schedule")
        table = instruments.loc[ids]
    mult = table["multiplier"].to_numpy(np.float64)
    lot = table["lot_size"].to_numpy(np.float64)
    for field, values in (("multiplier", mult), ("lot_size", lot)):
        bad = ids[~(values > 0)]
        if len(bad):
            raise ValueError(f"instrument {bad[0]!r}: {field} must be > 0, got {values[~(values > 0)][0]}")
    unknown = sorted(set(table["asset_class"]) - set(ASSET_CLASSES))
    if unknown:
        raise ValueError(f"instrument table: unknown asset_class {unknown}; use one of {ASSET_CLASSES}")
    classes = np.array([ASSET_CLASSES.index(c) for c in table["asset_class"]], dtype=np.int64)
    fee = table["borrow_fee_bps"].astype(float).fillna(costs.default_borrow_bps).to_numpy(np.float64)
    if costs.borrow_fee_bps is not None:
        fee = np.full(n, float(costs.borrow_fee_bps))
    return mult, lot, classes, table["shortable"].astype(bool).to_numpy(), fee / 1e4


def window_bounds(dates: pd.DatetimeIndex, schedule: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Bar index of each row's first trading date and of its last (past the data: extrapolated bars)."""
    start = dates.searchsorted(pd.to_datetime(schedule["trade_start"]).values, side="left")
    trade_end = pd.DatetimeIndex(pd.to_datetime(schedule["trade_end"]))
    end = dates.searchsorted(trade_end.values, side="right") - 1
    beyond = trade_end > dates[-1]
    if beyond.any():  # a window still running: count the business days still to come
        last = np.datetime64(dates[-1].date(), "D") + 1
        extra = np.busday_count(last, trade_end[beyond].values.astype("datetime64[D]") + 1)
        end[beyond] = len(dates) - 1 + extra
    return start.astype(np.int64), end.astype(np.int64)


def _check_leg_prices(px: np.ndarray, dates, ids, iy, ix, start, end, label: str) -> None:
    """Raise unless every leg price inside every row's window [start, end] is finite and > 0.

    Counts bad prices per instrument with a cumulative sum (bars x instruments), so the cost does
    not grow with bars x rows; only a failing check builds the (bars x rows) mask to name the cell.
    """
    n = len(dates)
    lo, hi = np.clip(start, 0, n), np.clip(end + 1, 0, n)
    hi = np.maximum(hi, lo)
    bad = np.cumsum(~(np.isfinite(px) & (px > 0)), axis=0)
    cum = np.vstack([np.zeros((1, px.shape[1]), dtype=bad.dtype), bad])
    for legs in (iy, ix):
        if np.any(cum[hi, legs] > cum[lo, legs]):
            _raise_first_bad_price(px, dates, ids, legs, start, end, label)


def _raise_first_bad_price(px: np.ndarray, dates, ids, legs, start, end, label: str) -> None:
    """Raise the error naming the first bad leg price (by bar, then schedule row) inside a window."""
    t = np.arange(len(dates))[:, None]
    in_window = (t >= start[None, :]) & (t <= end[None, :])
    leg_px = px[:, legs]
    bad = in_window & ~(np.isfinite(leg_px) & (leg_px > 0))
    row, col = np.argwhere(bad)[0]
    raise ValueError(f"{label} of {ids[legs[col]]!r} on {dates[row].date()} is {leg_px[row, col]} inside "
                     "a trading window of the pair schedule; prices must be finite and > 0 (clean the "
                     "data or drop that pair from the schedule)")


def signal_columns(schedule: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(rows, col): the first schedule row of each distinct signal, and each row's signal column.

    Rows with the same legs and bit-identical ``beta``, ``alpha``, ``spread_mean`` and ``spread_std``
    have identical spreads, z-scores, hedges and volatilities, so they share one column of the
    signal stacks (``PairSchedule.signal_col``); columns are numbered in order of first appearance.
    """
    key = np.column_stack([pd.factorize(schedule["y"])[0], pd.factorize(schedule["x"])[0],
                           *(schedule[c].to_numpy(np.float64).view(np.int64) for c in SIGNAL_KEY_FLOATS)])
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    by_appearance = np.argsort(first)
    number = np.empty(len(first), dtype=np.int64)
    number[by_appearance] = np.arange(len(first))
    return first[by_appearance], number[inverse.reshape(-1)]


def signal_stacks(prices: pd.DataFrame, schedule: pd.DataFrame, params: list[StrategyParams]) -> tuple:
    """z-score, hedge-ratio and spread-volatility stacks, and each parameter set's index into them."""
    spreads = sp.pair_spreads(prices, schedule)
    static_beta = np.broadcast_to(schedule["beta"].to_numpy(np.float64), spreads.shape)
    z_keys = list(dict.fromkeys(_z_key(p) for p in params))
    h_keys = list(dict.fromkeys(_h_key(p) for p in params))
    v_keys = list(dict.fromkeys(p.vol_lookback for p in params if p.sizing == "vol_target"))
    zs, hedges = [], []
    for key in z_keys:
        if key[0] == "formation":
            zs.append(sp.formation_zscores(spreads, schedule))
        elif key[0] == "rolling":
            zs.append(sp.rolling_zscores(spreads, key[1]))
        else:
            zs.append(rolling_hedge(prices, schedule, key[1])[2])
    for key in h_keys:
        hedges.append(static_beta if key == 0 else rolling_hedge(prices, schedule, key)[0])
    vols = [spread_change_volatility(spreads, w) for w in v_keys] or [np.zeros((1, 1))]
    index = np.array([[z_keys.index(_z_key(p)), h_keys.index(_h_key(p)),
                       v_keys.index(p.vol_lookback) if p.sizing == "vol_target" else 0] for p in params])
    return np.ascontiguousarray(np.stack(zs)), np.ascontiguousarray(np.stack(hedges)), \
        np.ascontiguousarray(np.stack(vols)), index


def _z_key(p: StrategyParams) -> tuple:
    if p.dynamic_hedge:
        return ("dynamic", int(p.lookback))
    return ("formation", 0) if p.zscore == "formation" else ("rolling", int(p.lookback))


def _h_key(p: StrategyParams) -> int:
    return int(p.lookback) if p.dynamic_hedge else 0


def param_records(params: list[StrategyParams], index: np.ndarray) -> np.ndarray:
    """(P,) structured array (dtype :data:`~pairs_platform.backtest.layout.PARAMS`) of the parameter sets.

    ``index``: (P, 3) position of each set's z-score, hedge and volatility stack.
    """
    rows = [(p.entry_z, p.exit_z, p.stop_z, p.max_holding_days, p.max_holding_halflives, int(p.cooldown_days),
             p.pnl_stop, SIZING_EQUAL if p.sizing == "equal" else SIZING_VOL_TARGET, p.pair_capital, p.vol_target,
             *(int(i) for i in idx)) for p, idx in zip(params, index)]  # a few parameter sets, in PARAMS field order
    return np.array(rows, dtype=PARAMS)


def prepare_inputs(prices: pd.DataFrame, schedule: pd.DataFrame, instruments: pd.DataFrame | None,
                   params: list[StrategyParams], costs: CostModel, limits: RiskLimits,
                   entry_allowed: np.ndarray | None = None,
                   open_prices: pd.DataFrame | None = None) -> KernelInputs:
    """Validate inputs and build the kernel's arrays for one or more parameter sets."""
    check_prices(prices)
    if len(schedule) == 0:
        raise ValueError("pair schedule is empty: no pair was selected in any formation window")
    if len({p.fill for p in params}) != 1:
        raise ValueError("all parameter sets of one run must share the same 'fill' timing")
    schedule = schedule.reset_index(drop=True)
    used = pd.Index(pd.unique(pd.concat([schedule["y"], schedule["x"]])))
    sp.check_schedule(prices, schedule)
    close = prices[used]
    dates = pd.DatetimeIndex(prices.index)
    iy, ix = sp.leg_index(close, schedule)
    start, end = window_bounds(dates, schedule)
    close_px = np.ascontiguousarray(close.to_numpy(np.float64))
    _check_leg_prices(close_px, dates, used, iy, ix, start, end, "close price")
    fill_px = close_px
    if params[0].fill == "next_open":
        if open_prices is None:
            raise ValueError("fill='next_open' needs open_prices (wide frame like prices) for the fills")
        check_prices(open_prices, "open_prices")
        fill_px = np.ascontiguousarray(open_prices.reindex(index=dates, columns=used).to_numpy(np.float64))
        _check_leg_prices(fill_px, dates, used, iy, ix, start + 1, end, "open price")
    accrual = np.r_[0.0, np.diff(dates.values).astype("timedelta64[D]").astype(np.float64) / 365.0]
    mult, lot, classes, shortable, borrow = instrument_arrays(used, instruments, costs)
    rows, signal_col = signal_columns(schedule)
    zs, hedges, vols, index = signal_stacks(close, schedule.iloc[rows].reset_index(drop=True), params)
    allow = _entry_mask(entry_allowed, len(dates), len(schedule))
    half_life = schedule["half_life"].to_numpy(np.float64) if "half_life" in schedule else np.full(len(schedule), np.nan)
    market = Market(fill_px, close_px, accrual, mult, lot, classes, shortable, borrow)
    row_lo, row_hi = active_row_range(start, end, len(dates))
    pairs = PairSchedule(iy.astype(np.int64), ix.astype(np.int64), start, end, half_life, zs, hedges, vols, allow,
                         row_lo, row_hi, signal_col)
    cost = Costs(float(costs.commission_per_unit), float(costs.min_commission), float(costs.slippage_bps) / 1e4)
    arrays = KernelArrays(market, pairs, exposure_limits(limits), limits.class_array(), cost,
                          param_records(params, index))
    return KernelInputs(dates, used, schedule, sp.pair_ids(schedule), arrays, int(start.min()))


def active_row_range(start: np.ndarray, end: np.ndarray, n_bars: int) -> tuple[np.ndarray, np.ndarray]:
    """Per bar, the smallest range [lo, hi) of schedule rows holding every row with start <= t <= end
    (0, 0 where no row is active); compiled, cost proportional to the rows' window lengths."""
    return _active_row_range(np.asarray(start, dtype=np.int64), np.asarray(end, dtype=np.int64), int(n_bars))


@njit(cache=True)
def _active_row_range(start, end, n_bars):
    lo, hi = np.zeros(n_bars, dtype=np.int64), np.zeros(n_bars, dtype=np.int64)
    for k in range(start.shape[0]):  # rows in order: the first to cover t sets lo[t], the last sets hi[t]
        for t in range(max(start[k], 0), min(end[k], n_bars - 1) + 1):
            if hi[t] == 0:
                lo[t] = k
            hi[t] = k + 1
    return lo, hi


def _entry_mask(entry_allowed, n_bars: int, n_pairs: int) -> np.ndarray:
    if entry_allowed is None:
        return np.ones((1, 1), dtype=np.bool_)
    mask = np.asarray(entry_allowed)
    if mask.shape not in ((n_bars, n_pairs), (n_bars, 1)):
        raise ValueError(f"entry_allowed must be a (dates, schedule rows) = {(n_bars, n_pairs)} boolean "
                         f"mask (or {(n_bars, 1)}: one column for every row), got shape {mask.shape}")
    return np.ascontiguousarray(mask.astype(np.bool_))
