"""The compiled simulation kernel: one portfolio per parameter set, bars outside, pairs inside.

Per bar t of one parameter set, in this order:
1. borrow accrues on short legs carried over from t-1 (previous close, actual/365 days);
2. orders decided at t-1 fill at ``fill_px[t]`` (next close or next open) with slippage and
   commission;
3. the book is marked at ``close_px[t]``: equity, gross, net, residual hedge exposure, open pairs;
4. exits are decided from z at t (window end, z stop, exit signal, P&L stop, time stop);
5. entries are decided from z at t, sized from equity and closes at t, and checked against the
   risk limits on the book projected after today's decisions; refusals are recorded.
Orders from steps 4-5 fill at step 2 of bar t+1, so nothing at t uses a price after t.
Parameter sets run in parallel (``prange``); every cross-pair step stays in compiled code. At bar t
only schedule rows ``row_lo[t] <= k < row_hi[t]`` are visited (rows whose window [start, end]
contains t lie in that range), so a long walk-forward schedule costs its active rows only. Row k
reads its z-score, hedge and volatility from column ``signal_col[k]`` of the signal stacks, so rows
sharing a signal (one pair over many intraday sessions) share one column.

Inputs and outputs are the records of :mod:`pairs_platform.backtest.layout`. Helpers called inside
the per-pair loops take scalars, scalar records (:class:`~pairs_platform.risk.checks.Leg`,
:class:`~pairs_platform.backtest.layout.Rules`, ...) or structured-array rows (``state[k]``,
``stats[p]``: pointers) only: passing an array to a compiled call costs reference-count atomics per
call, which dominated the run time before. The per-bar helpers read their arrays into locals before
the pair loop, and a run reads its parameter set once into a scalar :class:`Rules` record (values in
registers, not re-loaded through a pointer the state writes may alias).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from pairs_platform.backtest.layout import (
    PAIR_STATE, PEND_ENTER, PEND_EXIT, PEND_NONE, Account, Book, Candidate, ExitFill, KernelArrays, Logs, Outputs, Rules,
)
from pairs_platform.risk.checks import Exposure, Leg, entry_refusal_legs, gross_change, portfolio_refusal
from pairs_platform.risk.limits import REFUSE_ML_FILTER, REFUSE_NO_VOLATILITY, REFUSE_SIZE_ZERO
from pairs_platform.risk.sizing import SIZING_VOL_TARGET, LotLeg, pair_units, y_notional
from pairs_platform.signals.rules import (
    EXIT_NONE, EXIT_OPEN, EXIT_STOP_PNL, EXIT_STOP_TIME, EXIT_WINDOW_END, entry_side, is_stop, signal_exit,
    time_stop_bars,
)


@njit(cache=True)
def _order_costs(units_y, units_x, value_y, value_x, costs):
    """(traded notional, slippage, commission) of the two leg orders (``value_*``: fill x multiplier)."""
    notional = abs(units_y) * value_y + abs(units_x) * value_x
    comm = 0.0
    if units_y != 0.0:
        comm += max(costs.minimum, abs(units_y) * costs.per_unit)
    if units_x != 0.0:
        comm += max(costs.minimum, abs(units_x) * costs.per_unit)
    return notional, notional * costs.slippage, comm


@njit(cache=True)
def _pair_pnl(st, price_y, price_x, mult_y, mult_x):
    """P&L of the open trade in state row ``st`` at the given leg prices, net of its costs so far."""
    return (st.uy * (price_y - st.py) * mult_y + st.ux * (price_x - st.px) * mult_x
            - st.comm - st.slip - st.borrow)


@njit(cache=True)
def _record_trade(trades, stat, k, st, ex):
    """Append the trade of row ``k`` (state ``st``, ending as ``ex``) to ``trades`` if there is room."""
    n = stat.trade_records
    stat.trade_records += 1
    if n >= trades.shape[0]:
        return
    r = trades[n]
    r.pair, r.side, r.reason = k, st.side, ex.reason
    r.entry_dec, r.entry_fill, r.exit_dec, r.exit_fill = st.entry_dec, st.entry_fill, st.exit_dec, ex.bar
    r.uy, r.ux, r.beta = st.uy, st.ux, st.beta
    r.entry_py, r.entry_px, r.exit_py, r.exit_px = st.py, st.px, ex.price_y, ex.price_x
    r.comm, r.slip, r.borrow, r.pnl = st.comm, st.slip, st.borrow, ex.pnl
    r.entry_notional, r.exit_notional = st.notional, ex.notional
    r.entry_z, r.exit_z = st.entry_z, st.exit_z


@njit(cache=True)
def _borrow_fee(units_y, units_x, value_y, value_x, rate_y, rate_x, years):
    """Borrow fee of the short legs held over ``years`` (``value_*``: previous close x multiplier)."""
    fee = 0.0
    if units_y < 0.0:
        fee -= units_y * value_y * rate_y * years
    if units_x < 0.0:
        fee -= units_x * value_x * rate_x * years
    return fee


@njit(cache=True)
def _accrue_borrow(t, arr, state, stat):
    """Borrow accrued at bar t on short legs carried over from t-1; returns the total fee."""
    close_px, mult, borrow, years = arr.market.close_px, arr.market.mult, arr.market.borrow, arr.market.accrual[t]
    iy, ix = arr.pairs.iy, arr.pairs.ix
    total = 0.0
    for k in range(arr.pairs.row_lo[t], arr.pairs.row_hi[t]):
        st = state[k]
        if st.side == 0:
            continue
        a, b = iy[k], ix[k]
        fee = _borrow_fee(st.uy, st.ux, close_px[t - 1, a] * mult[a], close_px[t - 1, b] * mult[b],
                          borrow[a], borrow[b], years)
        st.borrow += fee
        total += fee
    stat.borrow += total
    return total


@njit(cache=True)
def _count_trade(bars_held, pnl, stat):
    """Count a closed trade held ``bars_held`` bars with net ``pnl`` in the statistics row ``stat``."""
    stat.trade_count += 1
    stat.holding_bars += bars_held
    stat.wins += pnl > 0.0
    stat.gross_profit += max(pnl, 0.0)
    stat.gross_loss += max(-pnl, 0.0)


@njit(cache=True)
def _fill_orders(t, arr, state, book, stat, logs):
    """Fill the orders decided at t-1 at ``fill_px[t]``; returns the cash change."""
    fill_px, mult, costs = arr.market.fill_px, arr.market.mult, arr.costs
    iy, ix, pos, absu = arr.pairs.iy, arr.pairs.ix, book.position, book.abs_units
    cash = 0.0
    for k in range(arr.pairs.row_lo[t], arr.pairs.row_hi[t]):
        st = state[k]
        if st.pend == PEND_NONE:
            continue
        a, b = iy[k], ix[k]
        py, px, my, mx = fill_px[t, a], fill_px[t, b], mult[a], mult[b]
        entering = st.pend == PEND_ENTER
        uy = st.new_uy if entering else -st.uy
        ux = st.new_ux if entering else -st.ux
        notional, slip, comm = _order_costs(uy, ux, py * my, px * mx, costs)
        cash -= uy * py * my + ux * px * mx + slip + comm
        pos[a] += uy
        pos[b] += ux
        absu[a] += abs(uy) if entering else -abs(uy)
        absu[b] += abs(ux) if entering else -abs(ux)
        stat.traded_notional += notional
        stat.commission += comm
        stat.slippage += slip
        st.pend = PEND_NONE
        if entering:
            st.uy, st.ux, st.py, st.px = uy, ux, py, px
            st.comm, st.slip, st.borrow, st.notional = comm, slip, 0.0, notional
            st.side, st.entry_fill = st.pend_side, t
            continue
        st.comm += comm
        st.slip += slip
        pnl = _pair_pnl(st, py, px, my, mx)
        _count_trade(t - st.entry_fill, pnl, stat)
        if logs.record:
            _record_trade(logs.trades, stat, k, st, ExitFill(t, py, px, notional, pnl, st.reason))
        st.side = 0
    return cash


@njit(cache=True)
def _mark(t, pos, close_px, mult):
    """(equity excluding cash, gross) of the holdings at close t."""
    value, gross = 0.0, 0.0
    for i in range(pos.shape[0]):
        if pos[i] != 0.0:
            v = pos[i] * close_px[t, i] * mult[i]
            value += v
            gross += abs(v)
    return value, gross


@njit(cache=True)
def _exit_reason(side, z, bars_held, max_hold, last_decision, pnl, notional, rules):
    """Exit reason of an open pair from scalars: window end, z stop, signal, P&L stop, time stop."""
    if last_decision:
        return EXIT_WINDOW_END
    reason = signal_exit(side, z, rules.exit_z, rules.stop_z)
    if reason == EXIT_NONE and rules.pnl_stop > 0.0 and pnl <= -rules.pnl_stop * notional:
        reason = EXIT_STOP_PNL
    if reason == EXIT_NONE and bars_held >= max_hold:
        reason = EXIT_STOP_TIME
    return reason


@njit(cache=True)
def _step_exits(t, arr, state, book, rules):
    """Exit decisions at t; returns (pairs held at close t, pairs still open after exits, residual)."""
    close_px, mult = arr.market.close_px, arr.market.mult
    iy, ix, end, col = arr.pairs.iy, arr.pairs.ix, arr.pairs.end, arr.pairs.signal_col
    zs = arr.pairs.zscores[rules.z_index]
    proj, proj_abs, pnl_stop = book.proj, book.proj_abs, rules.pnl_stop
    held, still_open, residual = 0, 0, 0.0
    for k in range(arr.pairs.row_lo[t], arr.pairs.row_hi[t]):
        st = state[k]
        side = st.side
        if side == 0:
            continue
        a, b = iy[k], ix[k]
        uy, ux = st.uy, st.ux
        held += 1
        residual += ux * (close_px[t, b] * mult[b]) + st.beta * uy * (close_px[t, a] * mult[a])
        pnl = _pair_pnl(st, close_px[t, a], close_px[t, b], mult[a], mult[b]) if pnl_stop > 0.0 else 0.0
        z = zs[t, col[k]]
        reason = _exit_reason(side, z, t - st.entry_dec, st.max_hold, t >= end[k] - 1, pnl, st.notional, rules)
        if reason == EXIT_NONE:
            still_open += 1
            continue
        st.pend, st.reason, st.exit_dec, st.exit_z = PEND_EXIT, reason, t, z
        if is_stop(reason):
            st.cool_until = t + rules.cooldown + 1
        proj[a] -= uy
        proj[b] -= ux
        proj_abs[a] -= abs(uy)
        proj_abs[b] -= abs(ux)
    return held, still_open, residual


@njit(cache=True)
def _book_values(t, book, market):
    """Projected :class:`Exposure` of ``book.proj`` at close t; refills ``book.class_gross``."""
    proj, class_gross, close_px, mult, classes = book.proj, book.class_gross, market.close_px, market.mult, market.classes
    gross, net = 0.0, 0.0
    class_gross[:] = 0.0
    for i in range(proj.shape[0]):
        if proj[i] != 0.0:
            v = proj[i] * close_px[t, i] * mult[i]
            gross += abs(v)
            net += v
            class_gross[classes[i]] += abs(v)
    return Exposure(gross, net)


@njit(cache=True)
def _candidate_units(side, eq, beta, vol, rules, y, x):
    """(refusal code, units_y, units_x) of a candidate's size: no volatility, rounds to zero, or 0."""
    notional = y_notional(eq, beta, rules.sizing, rules.pair_capital, rules.vol_target, vol)
    if np.isnan(notional):
        return REFUSE_NO_VOLATILITY, 0.0, 0.0
    uy, ux = pair_units(side, notional, beta, y, x)
    if uy == 0.0 or (ux == 0.0 and beta != 0.0):
        return REFUSE_SIZE_ZERO, uy, ux
    return 0, uy, ux


@njit(cache=True)
def _record_refusal(refusals, n, t, k, side, code, z):
    """Write refusal ``n`` (bar, schedule row, side, code, z) if there is room."""
    if n < refusals.shape[0]:
        r = refusals[n]
        r.bar, r.pair, r.side, r.code, r.z = t, k, side, code, z


@njit(cache=True)
def _accept_entry(t, cand, leg_y, leg_x, exposure, book, st, rules):
    """Book an accepted entry as a pending order, update the projected book; returns the new exposure."""
    d_y, d_x = gross_change(leg_y, cand.units_y), gross_change(leg_x, cand.units_x)
    book.class_gross[leg_y.class_code] += d_y
    book.class_gross[leg_x.class_code] += d_x
    book.proj[cand.iy] += cand.units_y
    book.proj[cand.ix] += cand.units_x
    book.proj_abs[cand.iy] += abs(cand.units_y)
    book.proj_abs[cand.ix] += abs(cand.units_x)
    st.pend, st.pend_side, st.entry_dec, st.exit_dec = PEND_ENTER, cand.side, t, -1
    st.max_hold = time_stop_bars(rules.max_hold, rules.max_hold_hl, cand.half_life)
    st.new_uy, st.new_ux, st.entry_z, st.beta = cand.units_y, cand.units_x, cand.z, cand.beta
    st.exit_z = np.nan
    return Exposure(exposure.gross + d_y + d_x, exposure.net + cand.units_y * leg_y.value + cand.units_x * leg_x.value)


@njit(cache=True)
def _step_entries(t, arr, state, book, acct, rules, stat, logs):
    """Entry decisions at t, each checked against the book projected after earlier decisions."""
    m, s, class_limits = arr.market, arr.pairs, arr.class_limits
    close_px, mult, lot, classes, shortable = m.close_px, m.mult, m.lot, m.classes, m.shortable
    iy, ix, start, end, allow, col = s.iy, s.ix, s.start, s.end, s.allow, s.signal_col
    zs, hedge, vols = s.zscores[rules.z_index], s.hedge[rules.hedge_index], s.vols[rules.vol_index]
    proj, proj_abs, class_gross = book.proj, book.proj_abs, book.class_gross
    exposure = _book_values(t, book, m)
    eq, n_open, vol_sizing = acct.equity, acct.open_pairs, rules.sizing == SIZING_VOL_TARGET
    t_allow, k_allow_max = min(t, allow.shape[0] - 1), allow.shape[1] - 1
    for k in range(s.row_lo[t], s.row_hi[t]):
        st = state[k]
        if st.side != 0 or st.pend != PEND_NONE or t < start[k] or t > end[k] - 2 or t < st.cool_until:
            continue
        c = col[k]
        z = zs[t, c]
        side = entry_side(z, rules.entry_z, rules.stop_z)
        if side == 0:
            continue
        code = REFUSE_ML_FILTER if not allow[t_allow, min(k, k_allow_max)] else portfolio_refusal(
            eq, acct.peak, n_open, arr.limits)
        if code == 0:
            a, b, beta = iy[k], ix[k], hedge[t, c]
            code, uy, ux = _candidate_units(side, eq, beta, vols[t, c] if vol_sizing else np.nan, rules,
                                            LotLeg(close_px[t, a], mult[a], lot[a]),
                                            LotLeg(close_px[t, b], mult[b], lot[b]))
            if code == 0:
                c_y, c_x = classes[a], classes[b]
                leg_y = Leg(close_px[t, a] * mult[a], proj[a], proj_abs[a], shortable[a], c_y, class_gross[c_y],
                            class_limits[c_y])
                leg_x = Leg(close_px[t, b] * mult[b], proj[b], proj_abs[b], shortable[b], c_x, class_gross[c_x],
                            class_limits[c_x])
                code = entry_refusal_legs(eq, uy, ux, leg_y, leg_x, exposure, arr.limits)
                if code == 0:
                    cand = Candidate(k, a, b, side, z, beta, uy, ux, s.half_life[k])
                    exposure = _accept_entry(t, cand, leg_y, leg_x, exposure, book, st, rules)
                    n_open += 1
                    continue
        if logs.record:
            _record_refusal(logs.refusals, stat.refusals, t, k, side, code, z)
        stat.refusals += 1


@njit(cache=True)
def _record_open_trades(arr, state, stat, logs):
    """Trades still open when the data ends: marked at the last close, no exit costs."""
    close_px, mult, iy, ix = arr.market.close_px, arr.market.mult, arr.pairs.iy, arr.pairs.ix
    last = close_px.shape[0] - 1
    for k in range(state.shape[0]):
        st = state[k]
        if st.side == 0:
            continue
        a, b = iy[k], ix[k]
        py, px = close_px[last, a], close_px[last, b]
        pnl = _pair_pnl(st, py, px, mult[a], mult[b])
        if st.pend != PEND_EXIT:
            st.exit_dec = -1
        notional = abs(st.uy) * py * mult[a] + abs(st.ux) * px * mult[b]
        if logs.record:
            _record_trade(logs.trades, stat, k, st, ExitFill(-1, py, px, notional, pnl, EXIT_OPEN))


@njit(cache=True)
def _rules(prm):
    """The :class:`~pairs_platform.backtest.layout.Rules` of one parameter-set record (scalars stay in registers)."""
    return Rules(prm.entry_z, prm.exit_z, prm.stop_z, prm.max_hold, prm.max_hold_hl, prm.cooldown, prm.pnl_stop,
                 prm.sizing, prm.pair_capital, prm.vol_target, prm.z_index, prm.hedge_index, prm.vol_index)


@njit(cache=True)
def simulate_one(p, arr, capital, peak0, out, logs):
    """Simulate parameter set ``p`` of ``arr`` (:class:`~pairs_platform.backtest.layout.KernelArrays`).

    Writes row ``p`` of ``out`` (:class:`~pairs_platform.backtest.layout.Outputs`) and, when
    ``logs.record``, the logs; a recorded run keeps its per-pair state in ``logs.final`` (zeroed).
    ``peak0`` is the equity peak the drawdown circuit breaker starts from (>= capital).
    """
    close_px, mult = arr.market.close_px, arr.market.mult
    n_bars, n_inst = close_px.shape
    state = logs.final if logs.record else np.zeros(arr.pairs.iy.shape[0], PAIR_STATE)
    book = Book(np.zeros(n_inst), np.zeros(n_inst), np.zeros(n_inst), np.zeros(n_inst),
                np.zeros(arr.class_limits.shape[0]))
    rules, stat, series = _rules(arr.params[p]), out.stats[p], out.series
    cash, peak = capital, max(capital, peak0)
    for t in range(n_bars):
        if t > 0:
            cash -= _accrue_borrow(t, arr, state, stat)
        cash += _fill_orders(t, arr, state, book, stat, logs)
        value, gross = _mark(t, book.position, close_px, mult)
        eq = cash + value
        peak = max(peak, eq)
        book.proj[:] = book.position
        book.proj_abs[:] = book.abs_units
        held, still_open, residual = _step_exits(t, arr, state, book, rules)
        series.equity[p, t], series.gross[p, t], series.net[p, t] = eq, gross, value
        series.residual[p, t], series.open_pairs[p, t] = residual, held
        _step_entries(t, arr, state, book, Account(eq, peak, still_open), rules, stat, logs)
        if logs.record:
            logs.targets[t, :] = book.proj
    _record_open_trades(arr, state, stat, logs)


@njit(cache=True, parallel=True)
def _simulate_grid_flat(market, pairs, limits, class_limits, costs, params, capital, peak0, series, stats, logs):
    """The parallel loop of :func:`simulate_grid` on flat records: numba's parfor lowering passes a
    NamedTuple argument into the loop body field by field, but neither a tuple nested in a tuple nor
    one unpacked inside the function, so the nested records are reassembled per parameter set."""
    for p in prange(params.shape[0]):
        simulate_one(p, KernelArrays(market, pairs, limits, class_limits, costs, params), capital, peak0,
                     Outputs(series, stats), logs)


def simulate_grid(arr: KernelArrays, capital: float, peak0: float, out: Outputs, logs: Logs) -> None:
    """Simulate every parameter set of ``arr.params`` in parallel (``prange``), writing ``out``.

    Parameters
    ----------
    arr : KernelArrays
        Market, schedule, limits, costs and the (P,) parameter sets.
    capital, peak0 : float
        Starting capital and the equity peak the drawdown circuit breaker starts from.
    out : Outputs
        Zeroed outputs for P parameter sets (:func:`~pairs_platform.backtest.layout.new_outputs`).
    logs : Logs
        A non-recording placeholder (:func:`~pairs_platform.backtest.layout.no_logs`).
    """
    _simulate_grid_flat(*arr, float(capital), float(peak0), *out, logs)
