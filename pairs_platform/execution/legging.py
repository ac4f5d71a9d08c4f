"""Two legs, one pair: the order in which a pair's two orders go out, and what happens if the
first one does not fill.

Policy (documented in docs/execution.md, "Going live"):

1. the **less liquid leg goes first** (lower ``liquidity``, e.g. average daily dollar volume):
   it is the one that may not fill; the liquid hedge leg can follow at once;
2. the **hedge leg is sized on the first leg's cumulative fills**: ``hedge quantity x filled /
   first quantity``, rounded down to the hedge instrument's lot;
3. if the first leg is **not completely filled within** ``first_leg_timeout`` seconds, it is
   cancelled and **what did fill is unwound** (an opposite order of the filled quantity, client
   order id of ``<instrument>#unwind``), and no hedge goes out: the pair is either on with both
   legs in ratio or flat, never a naked leg left over; if trading is HALTED the unwind is not
   sent and the result says so (a human decides);
4. **legging slippage** of the pair is recorded against the reference prices: money lost by the
   average fill price of each leg against its ``reference_price`` (positive = cost).

Both orders must already be recorded in the ledger (the order manager did that, after the risk
engine accepted them); the unwind is a reduction and is recorded with reason ``legging unwind``.

Which orders are legged (:class:`PairSequencer`, plugged into the order manager by the live
session runner): the two orders of a **pair entry** -- a pair of ``target_positions`` that is on
(both legs non-zero) at the session's close and was not on at the previous trading session's close
-- when both of its instruments have a new order in the session. Everything else (exits, resizes,
instruments shared with another entry) goes out as single orders, first, sells first.
"""
from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping

import pandas as pd

from pairs_platform.data.calendar import previous_trading_day
from pairs_platform.execution.broker import Broker, Order, OrderStatus, Side, make_client_order_id
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.ledger_state import TradingState


@dataclass(frozen=True)
class LeggingPolicy:
    """``first_leg_timeout`` seconds for the first leg to fill; ``poll_interval`` between checks."""

    first_leg_timeout: float = 60.0
    poll_interval: float = 0.5


@dataclass
class LeggingResult:
    """What happened to a pair's legs; ``slippage`` is the money lost against reference prices."""

    first: str
    hedge: str | None = None
    unwind: str | None = None
    outcome: str = ""
    slippage: float = 0.0
    legs: dict[str, float] = field(default_factory=dict)  # client order id -> filled quantity


def order_legs(a: Order, b: Order, liquidity: Mapping[str, float]) -> tuple[Order, Order]:
    """``(first, hedge)``: the leg with less ``liquidity`` first (ties: instrument id order)."""
    key = lambda o: (float(liquidity.get(o.instrument_id, math.inf)), o.instrument_id)  # noqa: E731
    return (a, b) if key(a) <= key(b) else (b, a)


def hedge_quantity(hedge: float, first_filled: float, first_quantity: float, lot: float = 1.0) -> float:
    """The hedge leg's quantity for the first leg's cumulative fills, rounded down to ``lot``."""
    raw = hedge * first_filled / first_quantity
    return math.floor(raw / lot + 1e-9) * lot


class PairLegger:
    """Sends a pair's recorded orders one leg after the other through ``broker``.

    ``wait(seconds)`` lets the broker process messages (``IBBroker.poll``; a no-op for brokers that
    fill synchronously); ``clock`` is injectable for tests.
    """

    def __init__(self, broker: Broker, ledger: Ledger, policy: LeggingPolicy = LeggingPolicy(), *,
                 wait: Callable[[float], object] = time.sleep,
                 clock: Callable[[], float] = time.monotonic,
                 multipliers: Mapping[str, float] | None = None) -> None:
        self.broker, self.ledger, self.policy = broker, ledger, policy
        self.wait, self.clock = wait, clock
        self.multipliers = dict(multipliers or {})

    def execute(self, first: Order, hedge: Order, hedge_lot: float = 1.0) -> LeggingResult:
        """First leg, then the hedge sized on its fills, or cancel + unwind (module doc)."""
        result = LeggingResult(first.client_order_id)
        self._send(first)
        filled = self._wait_filled(first)
        if filled < first.quantity - 1e-9:
            self.broker.cancel(first.client_order_id)
            self.ledger.mark_cancelled(first.client_order_id,
                                       f"legging: first leg not filled in {self.policy.first_leg_timeout:g}s")
            filled = self._filled(first)
            result.outcome = "first leg timed out: cancelled, hedge not sent"
            self.ledger.mark_cancelled(hedge.client_order_id, "legging: the first leg did not fill in time")
            if filled > 0:
                self._unwind(first, filled, result)
        else:
            quantity = hedge_quantity(hedge.quantity, filled, first.quantity, hedge_lot)
            if quantity <= 0:
                self.ledger.mark_cancelled(hedge.client_order_id, "legging: hedge rounds to 0 lots")
            else:
                if quantity != hedge.quantity:
                    hedge = self._resize(hedge, quantity)
                self._send(hedge)
                self._wait_filled(hedge)
                result.hedge = hedge.client_order_id
            result.outcome = "both legs sent"
        result.legs = {coid: self._filled_by_id(coid) for coid in
                       filter(None, (first.client_order_id, result.hedge, result.unwind))}
        result.slippage = sum(self.leg_slippage(coid) for coid in result.legs)
        return result

    def _send(self, order: Order) -> None:
        ack = self.broker.submit(order)
        self.ledger.apply_ack(ack, self.broker.name)

    def _resize(self, hedge: Order, quantity: float) -> Order:
        resized = replace(hedge, quantity=quantity)
        self.ledger.mark_cancelled(hedge.client_order_id, "legging: resized to the first leg's fills")
        resized = replace(resized, client_order_id=make_client_order_id(
            hedge.strategy_id, hedge.as_of, f"{hedge.instrument_id}#hedge"), reason="legging hedge")
        self.ledger.record_order(resized)
        return resized

    def _unwind(self, first: Order, filled: float, result: LeggingResult) -> None:
        state = self.ledger.trading_state(first.strategy_id)
        if state.state is TradingState.HALTED:
            result.outcome += f"; {filled:g} filled NOT unwound: trading {state.describe()}"
            return
        unwind = Order(make_client_order_id(first.strategy_id, first.as_of, f"{first.instrument_id}#unwind"),
                       first.strategy_id, first.as_of, first.instrument_id,
                       Side.SELL if first.side is Side.BUY else Side.BUY, filled,
                       reference_price=first.reference_price, reason="legging unwind")
        self.ledger.record_order(unwind)
        self._send(unwind)
        self._wait_filled(unwind)
        result.unwind = unwind.client_order_id
        result.outcome += f"; unwound {filled:g}"

    def _filled_by_id(self, client_order_id: str) -> float:
        record = self.ledger.get_order(client_order_id)
        return 0.0 if record is None else record.filled_quantity

    def _filled(self, order: Order) -> float:
        return self._filled_by_id(order.client_order_id)

    def _wait_filled(self, order: Order) -> float:
        deadline = self.clock() + self.policy.first_leg_timeout
        while True:
            record = self.ledger.get_order(order.client_order_id)
            if record.status is OrderStatus.FILLED or record.status not in (
                    OrderStatus.PENDING, OrderStatus.SUBMITTED) or self.clock() >= deadline:
                return record.filled_quantity
            self.wait(self.policy.poll_interval)

    def leg_slippage(self, client_order_id: str) -> float:
        """Money lost by this order's fills against its reference price (positive = cost)."""
        record = self.ledger.get_order(client_order_id)
        fills = self.ledger.fills_frame()
        fills = fills[fills["client_order_id"] == client_order_id]
        if record is None or fills.empty or record.order.reference_price is None:
            return 0.0
        sign = 1.0 if record.order.side is Side.BUY else -1.0
        mult = self.multipliers.get(record.order.instrument_id, 1.0)
        return float(sign * ((fills["price"] - record.order.reference_price) * fills["quantity"]).sum() * mult)


def entering_pairs(target_positions: pd.DataFrame, day: object) -> list[tuple[str, str]]:
    """``(y instrument, x instrument)`` of each pair entering at ``day``'s close.

    A pair enters when both its legs are non-zero at ``day`` and it had no non-zero leg at the
    previous NYSE trading session (``target_positions``: ``date``, ``pair_id``, ``leg``,
    ``instrument_id``, ``units``; one row per pair and leg while the pair is on).
    """
    stamp = pd.Timestamp(day).normalize()
    live = target_positions.loc[target_positions["units"].to_numpy() != 0, ["date", "pair_id", "leg", "instrument_id"]]
    dates = pd.to_datetime(live["date"]).to_numpy()
    before = set(live.loc[dates == previous_trading_day(stamp).to_datetime64(), "pair_id"])
    now = live[dates == stamp.to_datetime64()]
    legs = now.pivot_table(index="pair_id", columns="leg", values="instrument_id", aggfunc="first")
    if not {"y", "x"} <= set(legs.columns):
        return []
    legs = legs.dropna(subset=["y", "x"])
    return [(str(y), str(x)) for pair, y, x in zip(legs.index, legs["y"], legs["x"]) if pair not in before]


class PairSequencer:
    """Which of a session's new orders are legged, and the legging itself (module doc).

    ``liquidity(day)`` gives each instrument's liquidity at that session (e.g. dollar volume);
    ``lots`` the lot size per instrument (the hedge is rounded down to it).
    """

    def __init__(self, legger: PairLegger, target_positions: pd.DataFrame, *,
                 liquidity: Callable[[dt.date], Mapping[str, float]],
                 lots: Mapping[str, float] | None = None) -> None:
        self.legger, self.targets, self.liquidity = legger, target_positions, liquidity
        self.lots = dict(lots or {})
        self.results: list[LeggingResult] = []

    def plan(self, orders: list[Order]) -> list[tuple[Order, ...]]:
        """The orders in sending order: single orders first (as given), then each pair entry as
        ``(first leg, hedge leg)``."""
        if not orders:
            return []
        day = orders[0].as_of
        by_instrument = {o.instrument_id: o for o in orders}
        pairs, used = [], set()
        for y, x in entering_pairs(self.targets, day):
            if y in by_instrument and x in by_instrument and not {y, x} & used:
                used |= {y, x}
                pairs.append(order_legs(by_instrument[y], by_instrument[x], self.liquidity(day)))
        singles = [(o,) for o in orders if o.instrument_id not in used]
        return singles + pairs

    def execute_pair(self, first: Order, hedge: Order) -> LeggingResult:
        """Leg ``first`` then ``hedge`` (:meth:`PairLegger.execute`); the result is kept in ``results``."""
        result = self.legger.execute(first, hedge, float(self.lots.get(hedge.instrument_id, 1.0)))
        self.results.append(result)
        return result
