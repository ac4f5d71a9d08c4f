"""Z-score entry, exit and stop rules of a pair, compiled, shared by the backtest and live trading.

Sides: +1 is a long spread (long y, short x; entered when the spread is cheap, z <= -entry),
-1 a short spread (entered when z >= entry), 0 flat. The rules read only the z-score at the bar
being decided; the orders they cause fill at the next price.

:func:`rule_positions` runs the bare rule state machine (no sizing, costs or portfolio limits) over
a (T, K) z-score matrix, all pairs at once, for research and for the live signal of each pair.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

EXIT_NONE = 0
EXIT_SIGNAL = 1
EXIT_STOP_Z = 2
EXIT_STOP_PNL = 3
EXIT_STOP_TIME = 4
EXIT_WINDOW_END = 5
EXIT_OPEN = 6  # still open when the data ends
EXIT_NAMES = {EXIT_SIGNAL: "signal", EXIT_STOP_Z: "stop_z", EXIT_STOP_PNL: "stop_pnl",
              EXIT_STOP_TIME: "stop_time", EXIT_WINDOW_END: "window_end", EXIT_OPEN: "open"}


@njit(cache=True)
def entry_side(z: float, entry_z: float, stop_z: float) -> int:
    """+1 / -1 when z calls for a long / short spread entry, 0 otherwise (NaN z: 0).

    No entry where the z-score is already at or beyond the stop level.
    """
    if math.isnan(z):
        return 0
    if -stop_z < z <= -entry_z:
        return 1
    if entry_z <= z < stop_z:
        return -1
    return 0


@njit(cache=True)
def signal_exit(side: int, z: float, exit_z: float, stop_z: float) -> int:
    """EXIT_STOP_Z, EXIT_SIGNAL or EXIT_NONE for an open ``side`` at z-score ``z`` (NaN: none)."""
    if math.isnan(z):
        return EXIT_NONE
    if side * z <= -stop_z:
        return EXIT_STOP_Z
    if side * z >= -exit_z:
        return EXIT_SIGNAL
    return EXIT_NONE


@njit(cache=True)
def is_stop(reason: int) -> bool:
    """Whether an exit reason is a stop (which starts the cool-down)."""
    return reason == EXIT_STOP_Z or reason == EXIT_STOP_PNL or reason == EXIT_STOP_TIME


@njit(cache=True)
def time_stop_bars(max_holding_days: float, max_holding_halflives: float, half_life: float) -> int:
    """Maximum holding in bars from the entry signal (a very large number when off)."""
    limit = 1 << 62
    if max_holding_days > 0:
        limit = min(limit, int(max_holding_days))
    if max_holding_halflives > 0 and half_life > 0 and math.isfinite(half_life):
        limit = min(limit, max(1, int(math.ceil(max_holding_halflives * half_life))))
    return limit


@njit(cache=True, parallel=True)
def _rule_positions(z, entry_z, exit_z, stop_z, cooldown):
    n_bars, n_pairs = z.shape
    out = np.zeros((n_bars, n_pairs), dtype=np.int8)
    for k in prange(n_pairs):
        side, cool_until = 0, -1
        for t in range(n_bars):
            if side != 0:
                reason = signal_exit(side, z[t, k], exit_z, stop_z)
                if reason != EXIT_NONE:
                    side = 0
                    if is_stop(reason):
                        cool_until = t + cooldown + 1
            elif t >= cool_until:
                side = entry_side(z[t, k], entry_z, stop_z)
            out[t, k] = side
    return out


def rule_positions(z: np.ndarray, entry_z: float = 2.0, exit_z: float = 0.0,
                   stop_z: float = math.inf, cooldown_days: int = 0) -> np.ndarray:
    """(T, K) int8 desired side after the close of each bar, from z-scores alone.

    Row t is the side wanted after seeing z at t (it trades at the next price). One action per
    bar: a pair that exits at t can enter again at t+1 at the earliest (t+1+cooldown after a stop).
    """
    z = np.ascontiguousarray(z, dtype=np.float64)
    if z.ndim != 2:
        raise ValueError(f"rule_positions expects a (T, K) z-score matrix, got shape {z.shape}")
    if not 0 < entry_z < stop_z or not exit_z < entry_z:
        raise ValueError(f"rule_positions needs exit_z < entry_z < stop_z, got {exit_z}, {entry_z}, {stop_z}")
    return _rule_positions(z, float(entry_z), float(exit_z), float(stop_z), int(cooldown_days))
