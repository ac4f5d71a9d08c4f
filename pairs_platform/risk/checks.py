"""Pre-trade checks of a pair entry against the portfolio's risk limits.

A limit refuses an entry only when the entry would leave the measure above its limit *and* larger
than it is now (an entry that reduces an exposure already over its limit is allowed). Exits are
never refused. The compiled :func:`entry_refusal` is what the backtest kernel calls for every
candidate entry; :func:`pre_trade_check` is the same check for live trading, on pandas inputs.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from numba import njit

from pairs_platform.risk.limits import (
    ASSET_CLASSES, LIM_DRAWDOWN, LIM_GROSS, LIM_INSTRUMENT, LIM_NET, LIM_OPEN_PAIRS, REFUSAL_NAMES,
    REFUSE_CLASS_LIMIT, REFUSE_DRAWDOWN_HALT, REFUSE_GROSS_LIMIT, REFUSE_INSTRUMENT_LIMIT,
    REFUSE_MAX_OPEN_PAIRS, REFUSE_NET_LIMIT, REFUSE_NO_CAPITAL, REFUSE_NOT_SHORTABLE, RiskLimits,
)


@njit(cache=True)
def portfolio_refusal_scalar(equity: float, peak_equity: float, open_pairs: int, max_drawdown: float,
                             max_open_pairs: float) -> int:
    """Refusal code from portfolio state alone (circuit breaker, capital, open pairs); 0 if none."""
    if equity <= peak_equity * (1.0 - max_drawdown):
        return REFUSE_DRAWDOWN_HALT
    if not equity > 0.0:
        return REFUSE_NO_CAPITAL
    if open_pairs >= max_open_pairs:
        return REFUSE_MAX_OPEN_PAIRS
    return 0


@njit(cache=True)
def portfolio_refusal(equity: float, peak_equity: float, open_pairs: int, limits: np.ndarray) -> int:
    """:func:`portfolio_refusal_scalar` with the limits array of :meth:`RiskLimits.to_array`."""
    return portfolio_refusal_scalar(equity, peak_equity, open_pairs, limits[LIM_DRAWDOWN], limits[LIM_OPEN_PAIRS])


@njit(cache=True)
def _over(new: float, old: float, limit: float) -> bool:
    return new > limit and new > old


@njit(cache=True)
def entry_refusal_legs(equity, units_y, units_x, leg_y, leg_x, gross, net, max_gross, max_net, max_instrument) -> int:
    """Refusal code of one entry from scalars; 0 when every limit holds.

    Each leg is a tuple ``(value, position, abs_units, shortable, class_code, class_gross,
    class_limit)``: price x multiplier, projected net units, sum over pairs of |leg units|,
    whether it may be sold short, its asset class, that class's projected gross (currency) and its
    limit (fraction of equity). ``gross``/``net``: projected book in currency.
    """
    v_y, pos_y, abs_y, short_y, c_y, g_y, lim_y = leg_y
    v_x, pos_x, abs_x, short_x, c_x, g_x, lim_x = leg_x
    if (units_y < 0 and not short_y) or (units_x < 0 and not short_x):
        return REFUSE_NOT_SHORTABLE
    d_y = abs(pos_y + units_y) * v_y - abs(pos_y) * v_y
    d_x = abs(pos_x + units_x) * v_x - abs(pos_x) * v_x
    if _over(gross + d_y + d_x, gross, max_gross * equity):
        return REFUSE_GROSS_LIMIT
    new_net = net + units_y * v_y + units_x * v_x
    if _over(abs(new_net), abs(net), max_net * equity):
        return REFUSE_NET_LIMIT
    cap = max_instrument * equity
    if (abs_y + abs(units_y)) * v_y > cap or (abs_x + abs(units_x)) * v_x > cap:
        return REFUSE_INSTRUMENT_LIMIT
    if c_y == c_x:
        if _over(g_y + d_y + d_x, g_y, lim_y * equity):
            return REFUSE_CLASS_LIMIT
    elif _over(g_y + d_y, g_y, lim_y * equity) or _over(g_x + d_x, g_x, lim_x * equity):
        return REFUSE_CLASS_LIMIT
    return 0


@njit(cache=True)
def entry_refusal(equity, iy, ix, units_y, units_x, value_y, value_x, positions, abs_units,
                  classes, shortable, gross, net, class_gross, limits, class_limits) -> int:
    """:func:`entry_refusal_legs` on array state: ``positions`` net units and ``abs_units`` sum of
    |leg units| per instrument, ``class_gross`` per asset class, ``limits`` from RiskLimits.to_array."""
    c_y, c_x = classes[iy], classes[ix]
    leg_y = (value_y, positions[iy], abs_units[iy], shortable[iy], c_y, class_gross[c_y], class_limits[c_y])
    leg_x = (value_x, positions[ix], abs_units[ix], shortable[ix], c_x, class_gross[c_x], class_limits[c_x])
    return entry_refusal_legs(equity, units_y, units_x, leg_y, leg_x, gross, net, limits[LIM_GROSS],
                              limits[LIM_NET], limits[LIM_INSTRUMENT])


def pre_trade_check(y: str, x: str, units_y: float, units_x: float, *, positions: pd.Series,
                    abs_leg_units: pd.Series | None, prices: pd.Series, instruments: pd.DataFrame,
                    equity: float, peak_equity: float, open_pairs: int,
                    limits: RiskLimits = RiskLimits()) -> str | None:
    """Why a live pair entry must be refused (a reason name), or None when it may go ahead.

    ``positions``: current net units per instrument id; ``abs_leg_units``: sum over open pairs of
    |leg units| per instrument (defaults to |positions|); ``prices``: last price per instrument;
    ``instruments``: the instrument table (multiplier, asset_class, shortable).
    """
    ids = pd.Index(sorted(set(positions.index) | {y, x}))
    missing = [i for i in (y, x) if i not in prices.index or i not in instruments.index]
    if missing:
        raise KeyError(f"pre_trade_check: no price or instrument row for {missing}; "
                       "add them to the instrument table and the price snapshot")
    table = instruments.reindex(ids)
    pos = positions.reindex(ids).fillna(0.0).to_numpy(np.float64)
    absu = (abs_leg_units if abs_leg_units is not None else positions.abs()).reindex(ids).fillna(0.0)
    value = prices.reindex(ids).to_numpy(np.float64) * table["multiplier"].fillna(1.0).to_numpy(np.float64)
    held = np.abs(pos) > 0
    if not np.all(np.isfinite(value[held])):
        bad = list(ids[held & ~np.isfinite(value)])
        raise ValueError(f"pre_trade_check: held instruments {bad} have no price; pass their last price")
    value = np.where(np.isfinite(value), value, 0.0)
    classes = np.array([ASSET_CLASSES.index(c) if c in ASSET_CLASSES else 0
                        for c in table["asset_class"].fillna("equity")], dtype=np.int64)
    class_gross = np.bincount(classes, weights=np.abs(pos) * value, minlength=len(ASSET_CLASSES))
    lim = limits.to_array()
    code = portfolio_refusal(float(equity), float(peak_equity), int(open_pairs), lim)
    if code == 0:
        iy, ix = ids.get_loc(y), ids.get_loc(x)
        code = entry_refusal(float(equity), iy, ix, float(units_y), float(units_x), value[iy], value[ix],
                             pos, absu.to_numpy(np.float64), classes,
                             table["shortable"].fillna(True).to_numpy(bool), float(np.sum(np.abs(pos) * value)),
                             float(np.sum(pos * value)), class_gross, lim, limits.class_array())
    return REFUSAL_NAMES[code] if code else None


def drawdown(equity: float, peak_equity: float) -> float:
    """Fractional drawdown of ``equity`` from ``peak_equity`` (0 at the peak)."""
    return 0.0 if peak_equity <= 0 or math.isnan(peak_equity) else max(0.0, 1.0 - equity / peak_equity)
