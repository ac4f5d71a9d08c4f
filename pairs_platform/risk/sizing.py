"""Position sizing of a pair in whole lots: equal capital per pair, or volatility targeting.

Convention (docs/architecture.md): a long spread is long ``N_y`` units of y and short ``N_x``
units of x with notional_x ~= beta x notional_y. The y leg is rounded to its lot size first and the
x leg hedges the *rounded* y notional, then is rounded to its own lot size, so the hedge is the one
a broker would hold; what rounding leaves unhedged is the residual exposure the engine reports.

The compiled functions are used by the backtest kernel; :func:`size_pair` is the plain entry point
for live trading and notebooks.
"""
from __future__ import annotations

import math
from typing import NamedTuple

from numba import njit

SIZING_EQUAL = 0
SIZING_VOL_TARGET = 1
PERIODS_PER_YEAR = 252.0


class LotLeg(NamedTuple):
    """One leg as sizing sees it: price, contract multiplier and lot size (units)."""

    price: float
    mult: float
    lot: float


@njit(cache=True)
def round_to_lot(quantity: float, lot: float) -> float:
    """Nearest whole number of lots (halves away from zero), as units; ``lot`` > 0."""
    lots = math.floor(abs(quantity) / lot + 0.5)
    return lots * lot if quantity >= 0 else -lots * lot


@njit(cache=True)
def y_notional(equity: float, beta: float, sizing: int, pair_capital: float,
               vol_target: float, spread_vol: float) -> float:
    """Target notional of the y leg; NaN when vol targeting has no usable volatility estimate.

    'equal': the pair's gross (y plus beta-hedged x) is ``pair_capital`` x equity.
    'vol_target': y notional x daily spread volatility x sqrt(252) = ``vol_target`` x equity,
    capped by the 'equal' size.
    """
    cap = pair_capital * equity / (1.0 + abs(beta))
    if sizing == SIZING_EQUAL:
        return cap
    if not (spread_vol > 0.0) or math.isinf(spread_vol):
        return math.nan
    return min(vol_target * equity / (spread_vol * math.sqrt(PERIODS_PER_YEAR)), cap)


@njit(cache=True)
def pair_units(side: int, notional_y: float, beta: float, y: LotLeg, x: LotLeg) -> tuple:
    """(units_y, units_x) for ``side`` +1 (long spread) or -1 (short spread), in whole lots."""
    units_y = side * round_to_lot(notional_y / (y.price * y.mult), y.lot)
    units_x = round_to_lot(-beta * units_y * y.price * y.mult / (x.price * x.mult), x.lot)
    return units_y, units_x


def size_pair(side: int, equity: float, beta: float, price_y: float, price_x: float, *,
              mult_y: float = 1.0, mult_x: float = 1.0, lot_y: float = 1.0, lot_x: float = 1.0,
              sizing: str = "equal", pair_capital: float = 0.1, vol_target: float = 0.02,
              spread_vol: float = math.nan) -> tuple[float, float]:
    """Units of y and x for one pair entry (plain Python entry point of the compiled sizing).

    ``side`` is +1 for a long spread, -1 for a short one; ``spread_vol`` is the daily standard
    deviation of spread changes (needed for ``sizing='vol_target'``). Returns (0, 0) when the size
    rounds to nothing; raises when vol targeting has no volatility estimate.
    """
    if side not in (1, -1):
        raise ValueError(f"side must be +1 (long spread) or -1 (short spread), got {side}")
    for name, value in (("price_y", price_y), ("price_x", price_x), ("lot_y", lot_y), ("lot_x", lot_x)):
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"size_pair: {name} must be a positive finite number, got {value}")
    mode = {"equal": SIZING_EQUAL, "vol_target": SIZING_VOL_TARGET}.get(sizing)
    if mode is None:
        raise ValueError(f"size_pair: sizing must be 'equal' or 'vol_target', got {sizing!r}")
    notional = y_notional(equity, beta, mode, pair_capital, vol_target, spread_vol)
    if math.isnan(notional):
        raise ValueError(f"size_pair: vol targeting needs a positive spread_vol, got {spread_vol}")
    return pair_units(side, notional, beta, LotLeg(float(price_y), float(mult_y), float(lot_y)),
                      LotLeg(float(price_x), float(mult_x), float(lot_x)))
