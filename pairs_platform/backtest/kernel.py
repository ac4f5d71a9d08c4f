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
contains t lie in that range), so a long walk-forward schedule costs its active rows only.
Helpers called inside the per-pair loops take scalars (or tuples of scalars) only: passing an array
to a compiled call costs reference-count atomics per call, which dominated the run time before.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from pairs_platform.backtest.layout import *  # noqa: F401,F403  (compile-time column constants)
from pairs_platform.risk.checks import entry_refusal_legs, portfolio_refusal_scalar
from pairs_platform.risk.limits import (
    LIM_DRAWDOWN, LIM_GROSS, LIM_INSTRUMENT, LIM_NET, LIM_OPEN_PAIRS, REFUSE_ML_FILTER, REFUSE_NO_VOLATILITY,
    REFUSE_SIZE_ZERO,
)
from pairs_platform.risk.sizing import SIZING_VOL_TARGET, pair_units, y_notional
from pairs_platform.signals.rules import (
    EXIT_NONE, EXIT_OPEN, EXIT_STOP_PNL, EXIT_STOP_TIME, EXIT_WINDOW_END, entry_side, is_stop, signal_exit,
    time_stop_bars,
)


@njit(cache=True)
def _order_costs(units_y, units_x, value_y, value_x, per_unit, minimum, slip_rate):
    """(traded notional, slippage, commission) of the two leg orders (``value_*``: fill x multiplier)."""
    notional = abs(units_y) * value_y + abs(units_x) * value_x
    comm = 0.0
    if units_y != 0.0:
        comm += max(minimum, abs(units_y) * per_unit)
    if units_x != 0.0:
        comm += max(minimum, abs(units_x) * per_unit)
    return notional, notional * slip_rate, comm


@njit(cache=True)
def _record_trade(p, k, fs, ist, t, exit_py, exit_px, exit_notional, pnl, reason, stats, tf, ti):
    n = int(stats[p, ST_TRADE_RECORDS])
    stats[p, ST_TRADE_RECORDS] += 1
    if n >= tf.shape[0]:
        return
    tf[n, TF_UY], tf[n, TF_UX] = fs[k, FS_UY], fs[k, FS_UX]
    tf[n, TF_ENTRY_PY], tf[n, TF_ENTRY_PX] = fs[k, FS_PY], fs[k, FS_PX]
    tf[n, TF_EXIT_PY], tf[n, TF_EXIT_PX] = exit_py, exit_px
    tf[n, TF_COMM], tf[n, TF_SLIP], tf[n, TF_BORROW] = fs[k, FS_COMM], fs[k, FS_SLIP], fs[k, FS_BORROW]
    tf[n, TF_PNL], tf[n, TF_ENTRY_NOTIONAL], tf[n, TF_EXIT_NOTIONAL] = pnl, fs[k, FS_NOTIONAL], exit_notional
    tf[n, TF_ENTRY_Z], tf[n, TF_EXIT_Z], tf[n, TF_BETA] = fs[k, FS_ENTRY_Z], fs[k, FS_EXIT_Z], fs[k, FS_BETA]
    ti[n, TI_PAIR], ti[n, TI_SIDE] = k, ist[k, IS_SIDE]
    ti[n, TI_ENTRY_DEC], ti[n, TI_ENTRY_FILL] = ist[k, IS_ENTRY_DEC], ist[k, IS_ENTRY_FILL]
    ti[n, TI_EXIT_DEC], ti[n, TI_EXIT_FILL], ti[n, TI_REASON] = ist[k, IS_EXIT_DEC], t, reason


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
def _accrue_borrow(p, t, m, s, fs, ist, stats):
    """Borrow accrued at bar t on short legs carried over from t-1; returns the total fee."""
    _, close_px, accrual, mult, _, _, _, borrow = m
    iy, ix, row_lo, row_hi = s[0], s[1], s[11], s[12]
    total = 0.0
    for k in range(row_lo[t], row_hi[t]):
        if ist[k, IS_SIDE] == 0:
            continue
        a, b = iy[k], ix[k]
        fee = _borrow_fee(fs[k, FS_UY], fs[k, FS_UX], close_px[t - 1, a] * mult[a], close_px[t - 1, b] * mult[b],
                          borrow[a], borrow[b], accrual[t])
        fs[k, FS_BORROW] += fee
        total += fee
    stats[p, ST_BORROW] += total
    return total


@njit(cache=True)
def _fill_orders(p, t, m, s, fs, ist, pos, absu, costs, stats, record, tf, ti):
    """Fill the orders decided at t-1 at ``fill_px[t]``; returns the cash change."""
    fill_px, _, _, mult, _, _, _, _ = m
    iy, ix, row_lo, row_hi = s[0], s[1], s[11], s[12]
    cash = 0.0
    for k in range(row_lo[t], row_hi[t]):
        pend = ist[k, IS_PEND]
        if pend == PEND_NONE:
            continue
        a, b = iy[k], ix[k]
        py, px, my, mx = fill_px[t, a], fill_px[t, b], mult[a], mult[b]
        entering = pend == PEND_ENTER
        uy = fs[k, FS_NEW_UY] if entering else -fs[k, FS_UY]
        ux = fs[k, FS_NEW_UX] if entering else -fs[k, FS_UX]
        notional, slip, comm = _order_costs(uy, ux, py * my, px * mx, costs[COST_PER_UNIT], costs[COST_MIN],
                                            costs[COST_SLIPPAGE])
        cash -= uy * py * my + ux * px * mx + slip + comm
        pos[a] += uy
        pos[b] += ux
        absu[a] += abs(uy) if entering else -abs(uy)
        absu[b] += abs(ux) if entering else -abs(ux)
        stats[p, ST_TRADED_NOTIONAL] += notional
        stats[p, ST_COMMISSION] += comm
        stats[p, ST_SLIPPAGE] += slip
        ist[k, IS_PEND] = PEND_NONE
        if entering:
            fs[k, FS_UY], fs[k, FS_UX], fs[k, FS_PY], fs[k, FS_PX] = uy, ux, py, px
            fs[k, FS_COMM], fs[k, FS_SLIP], fs[k, FS_BORROW], fs[k, FS_NOTIONAL] = comm, slip, 0.0, notional
            ist[k, IS_SIDE], ist[k, IS_ENTRY_FILL] = ist[k, IS_PEND_SIDE], t
            continue
        fs[k, FS_COMM] += comm
        fs[k, FS_SLIP] += slip
        pnl = (fs[k, FS_UY] * (py - fs[k, FS_PY]) * my + fs[k, FS_UX] * (px - fs[k, FS_PX]) * mx
               - fs[k, FS_COMM] - fs[k, FS_SLIP] - fs[k, FS_BORROW])
        stats[p, ST_TRADES] += 1
        stats[p, ST_HOLD_BARS] += t - ist[k, IS_ENTRY_FILL]
        stats[p, ST_WINS] += pnl > 0.0
        stats[p, ST_GROSS_PROFIT] += max(pnl, 0.0)
        stats[p, ST_GROSS_LOSS] += max(-pnl, 0.0)
        if record:
            _record_trade(p, k, fs, ist, t, py, px, notional, pnl, ist[k, IS_REASON], stats, tf, ti)
        ist[k, IS_SIDE] = 0
    return cash


@njit(cache=True)
def _mark(t, pos, close_px, mult):
    """(equity excluding cash, gross, net) of the holdings at close t."""
    value, gross = 0.0, 0.0
    for i in range(pos.shape[0]):
        if pos[i] != 0.0:
            v = pos[i] * close_px[t, i] * mult[i]
            value += v
            gross += abs(v)
    return value, gross


@njit(cache=True)
def _exit_reason(side, z, bars_held, max_hold, last_decision, exit_z, stop_z, pnl_stop, pnl, notional):
    """Exit reason of an open pair from scalars: window end, z stop, signal, P&L stop, time stop."""
    if last_decision:
        return EXIT_WINDOW_END
    reason = signal_exit(side, z, exit_z, stop_z)
    if reason == EXIT_NONE and pnl_stop > 0.0 and pnl <= -pnl_stop * notional:
        reason = EXIT_STOP_PNL
    if reason == EXIT_NONE and bars_held >= max_hold:
        reason = EXIT_STOP_TIME
    return reason


@njit(cache=True)
def _book_values(t, proj, close_px, mult, classes, class_gross):
    gross, net = 0.0, 0.0
    class_gross[:] = 0.0
    for i in range(proj.shape[0]):
        if proj[i] != 0.0:
            v = proj[i] * close_px[t, i] * mult[i]
            gross += abs(v)
            net += v
            class_gross[classes[i]] += abs(v)
    return gross, net


@njit(cache=True)
def _candidate_units(side, eq, beta, vol, sizing, pair_capital, vol_target, px_y, px_x, mult_y, mult_x, lot_y, lot_x):
    """(refusal code, units_y, units_x) of a candidate's size: no volatility, rounds to zero, or 0."""
    notional = y_notional(eq, beta, sizing, pair_capital, vol_target, vol)
    if np.isnan(notional):
        return REFUSE_NO_VOLATILITY, 0.0, 0.0
    uy, ux = pair_units(side, notional, beta, px_y, px_x, mult_y, mult_x, lot_y, lot_x)
    if uy == 0.0 or (ux == 0.0 and beta != 0.0):
        return REFUSE_SIZE_ZERO, uy, ux
    return 0, uy, ux


@njit(cache=True)
def _record_refusal(n, t, k, side, code, z, ri, rz):
    if n < ri.shape[0]:
        ri[n, RI_BAR], ri[n, RI_PAIR], ri[n, RI_SIDE], ri[n, RI_CODE] = t, k, side, code
        rz[n] = z


@njit(cache=True)
def _step_exits(t, m, s, fs, ist, proj, proj_abs, prm_p):
    """Exit decisions at t; returns (pairs held at close t, pairs still open after exits, residual)."""
    _, close_px, _, mult, _, _, _, _ = m
    iy, ix, _, end, _, zs, _, _, _, _, _, row_lo, row_hi = s
    z_index = int(prm_p[PRM_Z_INDEX])
    exit_z, stop_z, pnl_stop, cooldown = prm_p[PRM_EXIT], prm_p[PRM_STOP], prm_p[PRM_PNL_STOP], int(prm_p[PRM_COOLDOWN])
    held, still_open, residual = 0, 0, 0.0
    for k in range(row_lo[t], row_hi[t]):
        side = ist[k, IS_SIDE]
        if side == 0:
            continue
        a, b = iy[k], ix[k]
        uy, ux = fs[k, FS_UY], fs[k, FS_UX]
        vy, vx = close_px[t, a] * mult[a], close_px[t, b] * mult[b]
        held += 1
        residual += ux * vx + fs[k, FS_BETA] * uy * vy
        pnl = 0.0
        if pnl_stop > 0.0:
            pnl = (uy * (close_px[t, a] - fs[k, FS_PY]) * mult[a] + ux * (close_px[t, b] - fs[k, FS_PX]) * mult[b]
                   - fs[k, FS_COMM] - fs[k, FS_SLIP] - fs[k, FS_BORROW])
        z = zs[z_index, t, k]
        reason = _exit_reason(side, z, t - ist[k, IS_ENTRY_DEC], ist[k, IS_MAX_HOLD], t >= end[k] - 1,
                              exit_z, stop_z, pnl_stop, pnl, fs[k, FS_NOTIONAL])
        if reason == EXIT_NONE:
            still_open += 1
            continue
        ist[k, IS_PEND], ist[k, IS_REASON], ist[k, IS_EXIT_DEC] = PEND_EXIT, reason, t
        fs[k, FS_EXIT_Z] = z
        if is_stop(reason):
            ist[k, IS_COOL_UNTIL] = t + cooldown + 1
        proj[a] -= uy
        proj[b] -= ux
        proj_abs[a] -= abs(uy)
        proj_abs[b] -= abs(ux)
    return held, still_open, residual


@njit(cache=True)
def _step_entries(p, t, m, s, fs, ist, proj, proj_abs, class_gross, eq, peak, n_open, prm_p, stats, record, ri, rz):
    """Entry decisions at t, each checked against the book projected after earlier decisions."""
    _, close_px, _, mult, lot, classes, shortable, _ = m
    iy, ix, start, end, half_life, zs, hedge, vols, allow, limits, class_limits, row_lo, row_hi = s
    gross, net = _book_values(t, proj, close_px, mult, classes, class_gross)
    z_index, h_index, v_index = int(prm_p[PRM_Z_INDEX]), int(prm_p[PRM_HEDGE_INDEX]), int(prm_p[PRM_VOL_INDEX])
    sizing, vol_sizing = int(prm_p[PRM_SIZING]), int(prm_p[PRM_SIZING]) == SIZING_VOL_TARGET
    t_allow, k_allow_max = min(t, allow.shape[0] - 1), allow.shape[1] - 1
    for k in range(row_lo[t], row_hi[t]):
        if ist[k, IS_SIDE] != 0 or ist[k, IS_PEND] != PEND_NONE:
            continue
        if t < start[k] or t > end[k] - 2 or t < ist[k, IS_COOL_UNTIL]:
            continue
        z = zs[z_index, t, k]
        side = entry_side(z, prm_p[PRM_ENTRY], prm_p[PRM_STOP])
        if side == 0:
            continue
        code = REFUSE_ML_FILTER if not allow[t_allow, min(k, k_allow_max)] else portfolio_refusal_scalar(
            eq, peak, n_open, limits[LIM_DRAWDOWN], limits[LIM_OPEN_PAIRS])
        a, b, beta = iy[k], ix[k], hedge[h_index, t, k]
        uy, ux = 0.0, 0.0
        if code == 0:
            code, uy, ux = _candidate_units(side, eq, beta, vols[v_index, t, k] if vol_sizing else np.nan, sizing,
                                            prm_p[PRM_PAIR_CAPITAL], prm_p[PRM_VOL_TARGET], close_px[t, a],
                                            close_px[t, b], mult[a], mult[b], lot[a], lot[b])
        if code == 0:
            c_y, c_x = classes[a], classes[b]
            leg_y = (close_px[t, a] * mult[a], proj[a], proj_abs[a], shortable[a], c_y, class_gross[c_y], class_limits[c_y])
            leg_x = (close_px[t, b] * mult[b], proj[b], proj_abs[b], shortable[b], c_x, class_gross[c_x], class_limits[c_x])
            code = entry_refusal_legs(eq, uy, ux, leg_y, leg_x, gross, net, limits[LIM_GROSS], limits[LIM_NET],
                                      limits[LIM_INSTRUMENT])
        if code != 0:
            if record:
                _record_refusal(int(stats[p, ST_REFUSALS]), t, k, side, code, z, ri, rz)
            stats[p, ST_REFUSALS] += 1
            continue
        gross, net = _accept_entry(t, k, a, b, side, z, beta, uy, ux, close_px[t, a] * mult[a], close_px[t, b] * mult[b],
                                   classes[a], classes[b], half_life[k], proj, proj_abs, class_gross, gross, net,
                                   fs, ist, prm_p)
        n_open += 1


@njit(cache=True)
def _accept_entry(t, k, a, b, side, z, beta, uy, ux, vy, vx, c_y, c_x, half_life, proj, proj_abs, class_gross,
                  gross, net, fs, ist, prm_p):
    """Book an accepted entry as a pending order and update the projected book; returns (gross, net)."""
    d_y = abs(proj[a] + uy) * vy - abs(proj[a]) * vy
    d_x = abs(proj[b] + ux) * vx - abs(proj[b]) * vx
    class_gross[c_y] += d_y
    class_gross[c_x] += d_x
    proj[a] += uy
    proj[b] += ux
    proj_abs[a] += abs(uy)
    proj_abs[b] += abs(ux)
    ist[k, IS_PEND], ist[k, IS_PEND_SIDE], ist[k, IS_ENTRY_DEC], ist[k, IS_EXIT_DEC] = PEND_ENTER, side, t, -1
    ist[k, IS_MAX_HOLD] = time_stop_bars(prm_p[PRM_MAX_HOLD], prm_p[PRM_MAX_HOLD_HL], half_life)
    fs[k, FS_NEW_UY], fs[k, FS_NEW_UX], fs[k, FS_ENTRY_Z], fs[k, FS_BETA] = uy, ux, z, beta
    fs[k, FS_EXIT_Z] = np.nan
    return gross + d_y + d_x, net + uy * vy + ux * vx


@njit(cache=True)
def _record_open_trades(p, m, s, fs, ist, stats, record, tf, ti):
    """Trades still open when the data ends: marked at the last close, no exit costs."""
    _, close_px, _, mult, _, _, _, _ = m
    iy, ix = s[0], s[1]
    last = close_px.shape[0] - 1
    for k in range(ist.shape[0]):
        if ist[k, IS_SIDE] == 0:
            continue
        a, b = iy[k], ix[k]
        py, px = close_px[last, a], close_px[last, b]
        pnl = (fs[k, FS_UY] * (py - fs[k, FS_PY]) * mult[a] + fs[k, FS_UX] * (px - fs[k, FS_PX]) * mult[b]
               - fs[k, FS_COMM] - fs[k, FS_SLIP] - fs[k, FS_BORROW])
        if ist[k, IS_PEND] != PEND_EXIT:
            ist[k, IS_EXIT_DEC] = -1
        notional = abs(fs[k, FS_UY]) * py * mult[a] + abs(fs[k, FS_UX]) * px * mult[b]
        if record:
            _record_trade(p, k, fs, ist, -1, py, px, notional, pnl, EXIT_OPEN, stats, tf, ti)


@njit(cache=True)
def simulate_one(p, m, s, prm, costs, capital, peak0, series, stats, record, targets, tf, ti, ri, rz, final_f, final_i):
    """Simulate parameter set ``p``; writes ``series[p]``, ``stats[p]`` and, if ``record``, the logs.

    ``peak0`` is the equity peak the drawdown circuit breaker starts from (>= capital).
    """
    _, close_px, _, mult, _, _, _, _ = m
    n_bars, n_inst = close_px.shape
    n_pairs = s[0].shape[0]
    fs = np.zeros((n_pairs, N_FS))
    ist = np.zeros((n_pairs, N_IS), dtype=np.int64)
    pos, absu = np.zeros(n_inst), np.zeros(n_inst)
    proj, proj_abs = np.zeros(n_inst), np.zeros(n_inst)
    class_gross = np.zeros(s[10].shape[0])
    prm_p = prm[p]
    cash, peak = capital, max(capital, peak0)
    for t in range(n_bars):
        if t > 0:
            cash -= _accrue_borrow(p, t, m, s, fs, ist, stats)
        cash += _fill_orders(p, t, m, s, fs, ist, pos, absu, costs, stats, record, tf, ti)
        value, gross = _mark(t, pos, close_px, mult)
        eq = cash + value
        peak = max(peak, eq)
        proj[:] = pos
        proj_abs[:] = absu
        held, still_open, residual = _step_exits(t, m, s, fs, ist, proj, proj_abs, prm_p)
        series[p, SER_EQUITY, t], series[p, SER_GROSS, t], series[p, SER_NET, t] = eq, gross, value
        series[p, SER_RESIDUAL, t], series[p, SER_OPEN_PAIRS, t] = residual, held
        _step_entries(p, t, m, s, fs, ist, proj, proj_abs, class_gross, eq, peak, still_open, prm_p,
                      stats, record, ri, rz)
        if record:
            targets[t, :] = proj
    _record_open_trades(p, m, s, fs, ist, stats, record, tf, ti)
    if record:
        final_f[:, :] = fs
        final_i[:, :] = ist


@njit(cache=True, parallel=True)
def simulate_grid(m, s, prm, costs, capital, peak0, series, stats):
    """Simulate every parameter set (rows of ``prm``) in parallel, without trade logs."""
    targets = np.zeros((1, 1))
    tf, ti = np.zeros((1, N_TF)), np.zeros((1, N_TI), dtype=np.int64)
    ri, rz = np.zeros((1, N_RI), dtype=np.int64), np.zeros(1)
    final_f, final_i = np.zeros((1, N_FS)), np.zeros((1, N_IS), dtype=np.int64)
    for p in prange(prm.shape[0]):
        simulate_one(p, m, s, prm, costs, capital, peak0, series, stats, False, targets, tf, ti, ri, rz, final_f, final_i)
