"""The risk engine every order passes, paper and live (after nautilus_trader's ``RiskEngine``).

Order path: targets -> :class:`~pairs_platform.execution.order_manager.OrderManager` ->
:class:`RiskEngine` -> broker. Inside the strategy's ledger lock the order manager calls
:meth:`RiskEngine.begin_session` once (equity, drawdown breaker, trading state) and
:meth:`RiskEngine.check_orders` with the session's orders; a refusal names the check (the names of
:data:`pairs_platform.risk.limits.REFUSAL_NAMES` for the portfolio limits the backtest enforces,
plus the order-level names in :data:`ORDER_CHECKS`) and is recorded in the ledger.

Portfolio limits (gross, net, per instrument, per asset class, drawdown) go through the one
shared implementation, :func:`pairs_platform.risk.checks.pre_trade_check`; a pair entry can be
checked as a whole with :meth:`RiskEngine.check_pair_entry` (the backtest's exact check).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Mapping

import pandas as pd

from pairs_platform.execution.broker import Order
from pairs_platform.execution.ledger_state import StrategyBook, TradingState, TradingStateRecord
from pairs_platform.risk.checks import Account, LiveBook, PairEntry, drawdown, pre_trade_check
from pairs_platform.risk.limits import RiskLimits

BREAKER = "drawdown breaker"
ORDER_CHECKS = ("halted", "reducing_only", "drawdown_halt", "lot_size", "not_shortable", "no_reference_price",
                "price_collar", "max_order_notional", "max_orders_per_session")
"""Names of the order-level checks (besides the portfolio limits' REFUSAL_NAMES)."""


@dataclass(frozen=True)
class RiskEngineConfig:
    """Every setting of the live/paper risk engine; the portfolio limits are the backtest's.

    - ``limits``: :class:`RiskLimits` (gross, net, instrument, asset class, open pairs, drawdown).
    - ``capital``: the strategy's starting capital, the base of its equity (limits are fractions
      of equity = capital + realized cash flows + marked positions).
    - ``max_order_notional``: largest |quantity x price x multiplier| of one order (currency).
    - ``max_orders_per_session``: most orders one strategy records for one session.
    - ``price_collar``: an order's price (limit price, else reference price) may differ from the
      session's market price by at most this fraction; None: off.
    """

    limits: RiskLimits = field(default_factory=RiskLimits)
    capital: float = 1_000_000.0
    max_order_notional: float = math.inf
    max_orders_per_session: int | None = None
    price_collar: float | None = 0.10

    def __post_init__(self) -> None:
        if not (self.capital > 0 and math.isfinite(self.capital)):
            raise ValueError(f"RiskEngineConfig.capital must be a finite number > 0, got {self.capital}")
        if not self.max_order_notional > 0:
            raise ValueError(f"RiskEngineConfig.max_order_notional must be > 0 (math.inf: off), got {self.max_order_notional}")
        if self.max_orders_per_session is not None and self.max_orders_per_session < 1:
            raise ValueError(f"RiskEngineConfig.max_orders_per_session must be >= 1 or None, got {self.max_orders_per_session}")
        if self.price_collar is not None and not self.price_collar > 0:
            raise ValueError(f"RiskEngineConfig.price_collar must be > 0 or None, got {self.price_collar}")

    @classmethod
    def none(cls, capital: float = 1_000_000.0) -> "RiskEngineConfig":
        """No limit at all except the trading state (tests, unconstrained research)."""
        return cls(limits=RiskLimits.none(), capital=capital, price_collar=None)


@dataclass(frozen=True)
class Refusal:
    """Why an order may not go out: ``check`` is a stable name, ``detail`` the numbers."""

    check: str
    detail: str


@dataclass
class SessionRisk:
    """What the engine knows during one rebalance (built by :meth:`RiskEngine.begin_session`)."""

    as_of: dt.date
    state: TradingStateRecord
    equity: float
    peak_equity: float
    prices: dict[str, float]
    book: pd.Series            # projected net units per instrument (positions + open orders)
    orders_recorded: int       # orders already in the ledger for this session


class RiskEngine:
    """Checks every order against the trading state, order-level limits and portfolio limits.

    ``instruments`` is the instrument table (``multiplier``, ``asset_class``, ``shortable``,
    ``lot_size``); an instrument missing from it is valued with multiplier 1, lot 1, shortable.
    """

    def __init__(self, config: RiskEngineConfig = RiskEngineConfig(),
                 instruments: pd.DataFrame | None = None) -> None:
        self.config = config
        self.instruments = _instrument_table(instruments)

    # ---- session ------------------------------------------------------------------------
    def begin_session(self, book: StrategyBook, as_of: dt.date, prices: Mapping[str, float]) -> SessionRisk:
        """Equity, drawdown breaker (moves the strategy to REDUCING / back to ACTIVE, recorded
        with its cause), trading state and projected book, read inside the strategy's lock."""
        marks = {str(k): float(v) for k, v in prices.items()}
        equity = self.equity(book, marks)
        peak = max(self.config.capital, book.peak_equity() or 0.0, equity)
        self._drawdown_breaker(book, equity, peak)
        held = pd.Series(book.positions(), dtype="float64")
        working = pd.Series(book.open_quantity(), dtype="float64")
        projected = held.add(working, fill_value=0.0)
        return SessionRisk(as_of, book.state(), equity, peak, marks, projected,
                           book.orders_in_session(as_of))

    def equity(self, book: StrategyBook, marks: Mapping[str, float]) -> float:
        """capital - sum(signed fill notional + commission) + sum(position x mark x multiplier);
        a held instrument without a mark is valued at its average entry price."""
        positions = book.positions()
        equity = self.config.capital
        for instrument_id, (signed_notional, commission, avg) in book.cash_by_instrument().items():
            mult = self._multiplier(instrument_id)
            mark = marks.get(instrument_id, avg)
            equity += (positions.get(instrument_id, 0.0) * mark - signed_notional) * mult - commission
        return float(equity)

    def _drawdown_breaker(self, book: StrategyBook, equity: float, peak: float) -> None:
        limit = self.config.limits.max_drawdown
        if limit is None:
            return
        current = book.state()
        breached = equity <= peak * (1.0 - limit)  # the backtest's condition (risk.checks)
        detail = f"equity {equity:,.2f} is {drawdown(equity, peak):.1%} below its peak {peak:,.2f} (limit {limit:.0%})"
        own = book.set_state  # the strategy's own scope; a global halt stays untouched
        if breached and current.state is TradingState.ACTIVE:
            own(TradingState.REDUCING, BREAKER, f"{detail}: only exposure-reducing orders")
        elif not breached and current.state is TradingState.REDUCING and current.who == BREAKER \
                and current.scope == book.strategy_id:
            own(TradingState.ACTIVE, BREAKER, f"recovered: {detail}")

    # ---- orders -------------------------------------------------------------------------
    def check_orders(self, orders: list[Order], session: SessionRisk) -> list[Refusal | None]:
        """Check a session's orders (at most one per instrument); one refusal or None per order.

        Each order's portfolio check sees the book with every other order of the session (so
        both legs of a pair entry that breaches a limit are refused, whatever their order, and a
        refusal never makes another order look safer).
        """
        for order in orders:
            session.book.loc[order.instrument_id] = session.book.get(order.instrument_id, 0.0) + order.signed_quantity
        out = []
        for order in orders:
            refusal = self._order_refusal(order, session)
            if refusal is None:
                session.orders_recorded += 1
            out.append(refusal)
        return out

    def _order_refusal(self, order: Order, session: SessionRisk) -> Refusal | None:
        state = session.state.state
        if state is TradingState.HALTED:
            return Refusal("halted", f"trading is {session.state.describe()}")
        after = float(session.book.get(order.instrument_id, 0.0))  # the book includes the order
        before = after - order.signed_quantity
        reduces = abs(after) < abs(before) and (after == 0 or (after > 0) == (before > 0))
        if state is TradingState.REDUCING and not reduces:
            name = "drawdown_halt" if session.state.who == BREAKER else "reducing_only"
            return Refusal(name, f"{order.instrument_id} {before:g} -> {after:g} adds exposure "
                           f"while trading is {session.state.describe()}")
        return (self._static_refusal(order, before, after, reduces)
                or self._price_refusal(order, session)
                or self._count_refusal(session)
                or (None if reduces else self._portfolio_refusal(order, session)))

    def _static_refusal(self, order: Order, before: float, after: float, reduces: bool) -> Refusal | None:
        row = self.instruments.loc[order.instrument_id] if order.instrument_id in self.instruments.index else None
        lot = 1.0 if row is None else float(row["lot_size"])
        lots = order.quantity / lot
        if order.instrument_id.split(":")[0] != "CRYPTO" and abs(lots - round(lots)) > 1e-9:
            return Refusal("lot_size", f"{order.instrument_id}: quantity {order.quantity:g} is not a "
                           f"whole number of lots of {lot:g}; round the target units to the lot size")
        shortable = True if row is None else bool(row["shortable"])
        if not shortable and after < 0 and not reduces:
            return Refusal("not_shortable", f"{order.instrument_id} may not be sold short "
                           f"(position {before:g} -> {after:g}); instrument table column 'shortable'")
        return None

    def _price_refusal(self, order: Order, session: SessionRisk) -> Refusal | None:
        market = session.prices.get(order.instrument_id)
        config = self.config
        needs_price = (config.price_collar is not None or math.isfinite(config.max_order_notional)
                       or _portfolio_limits_on(config.limits))
        if market is None:
            if needs_price:
                return Refusal("no_reference_price", f"no market price for {order.instrument_id} on "
                               f"{session.as_of}; pass it in reference_prices")
            return None
        price = order.limit_price if order.limit_price is not None else (order.reference_price or market)
        if config.price_collar is not None and abs(price / market - 1.0) > config.price_collar:
            return Refusal("price_collar", f"{order.instrument_id}: order price {price:g} is more than "
                           f"{config.price_collar:.0%} from the market price {market:g}")
        notional = order.quantity * market * self._multiplier(order.instrument_id)
        if notional > config.max_order_notional:
            return Refusal("max_order_notional", f"{order.instrument_id}: notional {notional:,.2f} > "
                           f"max_order_notional {config.max_order_notional:,.2f}")
        return None

    def _count_refusal(self, session: SessionRisk) -> Refusal | None:
        limit = self.config.max_orders_per_session
        if limit is not None and session.orders_recorded >= limit:
            return Refusal("max_orders_per_session", f"{session.orders_recorded} orders already recorded "
                           f"for {session.as_of}; max_orders_per_session is {limit}")
        return None

    def _portfolio_refusal(self, order: Order, session: SessionRisk) -> Refusal | None:
        """Exposure-increasing order: the backtest's portfolio check on this one leg, against the
        book with the session's other orders."""
        limits = dataclasses.replace(self.config.limits, max_open_pairs=None)  # no pairs per order
        if not _portfolio_limits_on(limits) and limits.max_drawdown is None:
            return None
        instrument = order.instrument_id
        session.book.loc[instrument] -= order.signed_quantity
        try:
            entry = PairEntry(instrument, instrument, order.signed_quantity, 0.0)  # an order as a one-leg entry
            name = self._shared_check(entry, session, 0, limits)
        finally:
            session.book.loc[instrument] += order.signed_quantity
        return None if name is None else Refusal(name, f"{order.instrument_id} {order.signed_quantity:+g} "
                                                 f"breaches {name} at equity {session.equity:,.2f}")

    def check_pair_entry(self, y: str, x: str, units_y: float, units_x: float,
                         session: SessionRisk, open_pairs: int) -> str | None:
        """A pair entry through the backtest's own check (same limits, same reason names)."""
        return self._shared_check(PairEntry(y, x, units_y, units_x), session, open_pairs, self.config.limits)

    def _shared_check(self, entry: PairEntry, session: SessionRisk, open_pairs: int,
                      limits: RiskLimits) -> str | None:
        positions = session.book[session.book != 0.0]
        prices = pd.Series(session.prices, dtype="float64")
        table = self.instruments.reindex(pd.Index(sorted(set(positions.index) | {entry.y, entry.x})))
        table = table.fillna({"multiplier": 1.0, "asset_class": "equity", "shortable": True, "lot_size": 1.0})
        return pre_trade_check(entry, LiveBook(positions, prices, table),
                               Account(session.equity, session.peak_equity, open_pairs), limits)

    def _multiplier(self, instrument_id: str) -> float:
        if instrument_id in self.instruments.index:
            return float(self.instruments.at[instrument_id, "multiplier"])
        return 1.0


_INSTRUMENT_DEFAULTS = {"multiplier": 1.0, "asset_class": "equity", "shortable": True, "lot_size": 1.0}


def _instrument_table(instruments: pd.DataFrame | None) -> pd.DataFrame:
    if instruments is None:
        return pd.DataFrame(columns=list(_INSTRUMENT_DEFAULTS)).astype(
            {"multiplier": float, "lot_size": float, "shortable": bool, "asset_class": object})
    table = instruments.copy()
    for column, default in _INSTRUMENT_DEFAULTS.items():
        table[column] = table[column].fillna(default) if column in table else default
    return table[list(_INSTRUMENT_DEFAULTS)]


def _portfolio_limits_on(limits: RiskLimits) -> bool:
    return any(math.isfinite(v) for v in (limits.max_gross, limits.max_net, limits.max_instrument)) \
        or bool(limits.max_class_gross)
