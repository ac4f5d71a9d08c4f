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
def portfolio_refusal(equity: float, peak_equity: float, open_pairs: int, limits: np.ndarray) -> int:
    """Refusal code from portfolio state alone (circuit breaker, capital, open pairs); 0 if none."""
    if equity <= peak_equity * (1.0 - limits[LIM_DRAWDOWN]):
        return REFUSE_DRAWDOWN_HALT
    if not equity > 0.0:
        return REFUSE_NO_CAPITAL
    if open_pairs >= limits[LIM_OPEN_PAIRS]:
        return REFUSE_MAX_OPEN_PAIRS
    return 0


@njit(cache=True)
def _over(new: float, old: float, limit: float) -> bool:
    return new > limit and new > old


@njit(cache=True)
def entry_refusal(equity, iy, ix, units_y, units_x, value_y, value_x, positions, abs_units,
                  classes, shortable, gross, net, class_gross, limits, class_limits) -> int:
    """Refusal code of one entry given the projected book; 0 when every limit holds.

    ``value_*`` are price x multiplier of each leg; ``positions`` net units per instrument,
    ``abs_units`` the sum over pairs of |leg units| per instrument; ``gross``/``net`` in currency;
    ``class_gross`` gross currency per asset class.
    """
    if (units_y < 0 and not shortable[iy]) or (units_x < 0 and not shortable[ix]):
        return REFUSE_NOT_SHORTABLE
    old_y, old_x = abs(positions[iy]) * value_y, abs(positions[ix]) * value_x
    d_y = abs(positions[iy] + units_y) * value_y - old_y
    d_x = abs(positions[ix] + units_x) * value_x - old_x
    if _over(gross + d_y + d_x, gross, limits[LIM_GROSS] * equity):
        return REFUSE_GROSS_LIMIT
    new_net = net + units_y * value_y + units_x * value_x
    if _over(abs(new_net), abs(net), limits[LIM_NET] * equity):
        return REFUSE_NET_LIMIT
    cap = limits[LIM_INSTRUMENT] * equity
    if (abs_units[iy] + abs(units_y)) * value_y > cap or (abs_units[ix] + abs(units_x)) * value_x > cap:
        return REFUSE_INSTRUMENT_LIMIT
    c_y, c_x = classes[iy], classes[ix]
    if c_y == c_x:
        if _over(class_gross[c_y] + d_y + d_x, class_gross[c_y], class_limits[c_y] * equity):
            return REFUSE_CLASS_LIMIT
    elif (_over(class_gross[c_y] + d_y, class_gross[c_y], class_limits[c_y] * equity)
          or _over(class_gross[c_x] + d_x, class_gross[c_x], class_limits[c_x] * equity)):
        return REFUSE_CLASS_LIMIT
    return 0


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
