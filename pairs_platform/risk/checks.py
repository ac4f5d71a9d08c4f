"""Pre-trade checks of a pair entry against the portfolio's risk limits.

A limit refuses an entry only when the entry would leave the measure above its limit *and* larger
than it is now (an entry that reduces an exposure already over its limit is allowed). Exits are
never refused. The compiled :func:`portfolio_refusal` and :func:`entry_refusal_legs` are what the
backtest kernel calls for every candidate entry; :func:`pre_trade_check` is the same check for live
trading, on pandas inputs. The compiled checks take scalar records (:class:`ExposureLimits`,
:class:`Exposure`, :class:`Leg`), never arrays, so calling them per candidate stays cheap.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pandas as pd
from numba import njit

from pairs_platform.risk.limits import (
    ASSET_CLASSES, LIM_DRAWDOWN, LIM_GROSS, LIM_INSTRUMENT, LIM_NET, LIM_OPEN_PAIRS, REFUSAL_NAMES,
    REFUSE_CLASS_LIMIT, REFUSE_DRAWDOWN_HALT, REFUSE_GROSS_LIMIT, REFUSE_INSTRUMENT_LIMIT,
    REFUSE_MAX_OPEN_PAIRS, REFUSE_NET_LIMIT, REFUSE_NO_CAPITAL, REFUSE_NOT_SHORTABLE, RiskLimits,
)


class ExposureLimits(NamedTuple):
    """The scalar limits of :class:`RiskLimits` (fractions of equity; inf where off).

    Attributes
    ----------
    max_gross, max_net, max_instrument : float
        Gross, |net| and per-instrument leg gross limits.
    max_open_pairs : float
        Open (or entering) pairs at once.
    max_drawdown : float
        Drawdown from the running peak at which the circuit breaker stops new entries.
    """

    max_gross: float
    max_net: float
    max_instrument: float
    max_open_pairs: float
    max_drawdown: float


def exposure_limits(limits: RiskLimits) -> ExposureLimits:
    """The :class:`ExposureLimits` record of ``limits`` (from :meth:`RiskLimits.to_array`)."""
    arr = limits.to_array()
    return ExposureLimits(float(arr[LIM_GROSS]), float(arr[LIM_NET]), float(arr[LIM_INSTRUMENT]),
                          float(arr[LIM_OPEN_PAIRS]), float(arr[LIM_DRAWDOWN]))


class Exposure(NamedTuple):
    """Projected book in currency: gross (sum of |notional|) and net (sum of notional)."""

    gross: float
    net: float


class Leg(NamedTuple):
    """One leg of a candidate entry as the checks see it.

    Attributes
    ----------
    value : float
        Price x multiplier.
    position : float
        Projected net units of the instrument.
    abs_units : float
        Sum over pairs of |leg units| of the instrument.
    shortable : bool
        Whether it may be sold short.
    class_code : int
        Its asset class (index into ``ASSET_CLASSES``).
    class_gross : float
        That class's projected gross (currency).
    class_limit : float
        That class's gross limit (fraction of equity).
    """

    value: float
    position: float
    abs_units: float
    shortable: bool
    class_code: int
    class_gross: float
    class_limit: float


@njit(cache=True)
def portfolio_refusal(equity: float, peak_equity: float, open_pairs: int, limits: ExposureLimits) -> int:
    """Refusal code from portfolio state alone (circuit breaker, capital, open pairs); 0 if none."""
    if equity <= peak_equity * (1.0 - limits.max_drawdown):
        return REFUSE_DRAWDOWN_HALT
    if not equity > 0.0:
        return REFUSE_NO_CAPITAL
    if open_pairs >= limits.max_open_pairs:
        return REFUSE_MAX_OPEN_PAIRS
    return 0


@njit(cache=True)
def _over(new: float, old: float, limit: float) -> bool:
    return new > limit and new > old


@njit(cache=True)
def gross_change(leg: Leg, units: float) -> float:
    """Change of the leg instrument's gross (currency) when ``units`` are added to its position."""
    return abs(leg.position + units) * leg.value - abs(leg.position) * leg.value


@njit(cache=True)
def entry_refusal_legs(equity: float, units_y: float, units_x: float, leg_y: Leg, leg_x: Leg, book: Exposure,
                       limits: ExposureLimits) -> int:
    """Refusal code of one entry of ``units_y``/``units_x`` on the projected ``book``; 0 when every limit holds."""
    if (units_y < 0 and not leg_y.shortable) or (units_x < 0 and not leg_x.shortable):
        return REFUSE_NOT_SHORTABLE
    d_y, d_x = gross_change(leg_y, units_y), gross_change(leg_x, units_x)
    if _over(book.gross + d_y + d_x, book.gross, limits.max_gross * equity):
        return REFUSE_GROSS_LIMIT
    new_net = book.net + units_y * leg_y.value + units_x * leg_x.value
    if _over(abs(new_net), abs(book.net), limits.max_net * equity):
        return REFUSE_NET_LIMIT
    cap = limits.max_instrument * equity
    if (leg_y.abs_units + abs(units_y)) * leg_y.value > cap or (leg_x.abs_units + abs(units_x)) * leg_x.value > cap:
        return REFUSE_INSTRUMENT_LIMIT
    g_y, g_x = leg_y.class_gross, leg_x.class_gross
    if leg_y.class_code == leg_x.class_code:
        if _over(g_y + d_y + d_x, g_y, leg_y.class_limit * equity):
            return REFUSE_CLASS_LIMIT
    elif _over(g_y + d_y, g_y, leg_y.class_limit * equity) or _over(g_x + d_x, g_x, leg_x.class_limit * equity):
        return REFUSE_CLASS_LIMIT
    return 0


class PairEntry(NamedTuple):
    """A pair entry to check: units of each leg (signed; y long and x short for a long spread)."""

    y: str
    x: str
    units_y: float
    units_x: float


class LiveBook(NamedTuple):
    """The live book an entry is checked against, keyed by instrument id.

    ``positions``: current net units; ``prices``: last price; ``instruments``: the instrument table
    (multiplier, asset_class, shortable); ``abs_leg_units``: sum over open pairs of |leg units|
    (None: |positions|).
    """

    positions: pd.Series
    prices: pd.Series
    instruments: pd.DataFrame
    abs_leg_units: pd.Series | None = None


class Account(NamedTuple):
    """The account's equity, its running peak (for the drawdown halt) and its open pairs."""

    equity: float
    peak_equity: float
    open_pairs: int


def pre_trade_check(entry: PairEntry, book: LiveBook, account: Account,
                    limits: RiskLimits = RiskLimits()) -> str | None:
    """Why a live pair entry must be refused (a reason name of ``REFUSAL_NAMES``), or None when it
    may go ahead: the backtest's own checks (``portfolio_refusal``, ``entry_refusal_legs``) on
    pandas inputs.

    Raises
    ------
    KeyError
        When a leg has no price or no instrument row.
    ValueError
        When a held instrument has no price.
    """
    y, x = entry.y, entry.x
    ids = pd.Index(sorted(set(book.positions.index) | {y, x}))
    missing = [i for i in (y, x) if i not in book.prices.index or i not in book.instruments.index]
    if missing:
        raise KeyError(f"pre_trade_check: no price or instrument row for {missing}; "
                       "add them to the instrument table and the price snapshot")
    arrays = _BookArrays.build(ids, book)
    lim = exposure_limits(limits)
    equity = float(account.equity)
    code = portfolio_refusal(equity, float(account.peak_equity), int(account.open_pairs), lim)
    if code == 0:
        legs = [arrays.leg(ids.get_loc(i), limits.class_array()) for i in (y, x)]
        exposure = Exposure(float(np.sum(np.abs(arrays.pos) * arrays.value)), float(np.sum(arrays.pos * arrays.value)))
        code = entry_refusal_legs(equity, float(entry.units_y), float(entry.units_x), legs[0], legs[1], exposure, lim)
    return REFUSAL_NAMES[code] if code else None


class _BookArrays(NamedTuple):
    """A live book as arrays over ``ids`` (for :func:`pre_trade_check`)."""

    pos: np.ndarray
    abs_units: np.ndarray
    value: np.ndarray
    classes: np.ndarray
    shortable: np.ndarray
    class_gross: np.ndarray

    @classmethod
    def build(cls, ids: pd.Index, book: LiveBook) -> "_BookArrays":
        table = book.instruments.reindex(ids)
        pos = book.positions.reindex(ids).fillna(0.0).to_numpy(np.float64)
        absu = (book.abs_leg_units if book.abs_leg_units is not None else book.positions.abs()).reindex(ids).fillna(0.0)
        value = book.prices.reindex(ids).to_numpy(np.float64) * table["multiplier"].fillna(1.0).to_numpy(np.float64)
        held = np.abs(pos) > 0
        if not np.all(np.isfinite(value[held])):
            bad = list(ids[held & ~np.isfinite(value)])
            raise ValueError(f"pre_trade_check: held instruments {bad} have no price; pass their last price")
        value = np.where(np.isfinite(value), value, 0.0)
        classes = np.array([ASSET_CLASSES.index(c) if c in ASSET_CLASSES else 0
                            for c in table["asset_class"].fillna("equity")], dtype=np.int64)
        class_gross = np.bincount(classes, weights=np.abs(pos) * value, minlength=len(ASSET_CLASSES))
        return cls(pos, absu.to_numpy(np.float64), value, classes, table["shortable"].fillna(True).to_numpy(bool),
                   class_gross)

    def leg(self, i: int, class_limits: np.ndarray) -> Leg:
        """The :class:`Leg` record of instrument position ``i``."""
        c = int(self.classes[i])
        return Leg(float(self.value[i]), float(self.pos[i]), float(self.abs_units[i]), bool(self.shortable[i]), c,
                   float(self.class_gross[c]), float(class_limits[c]))


def drawdown(equity: float, peak_equity: float) -> float:
    """Fractional drawdown of ``equity`` from ``peak_equity`` (0 at the peak)."""
    return 0.0 if peak_equity <= 0 or math.isnan(peak_equity) else max(0.0, 1.0 - equity / peak_equity)
