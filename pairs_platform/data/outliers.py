"""Rule 4 of cleaning, the outliers: a close that jumps beyond a robust, causal threshold (see
:mod:`pairs_platform.data.cleaning` for the rule). Per-instrument and per-class settings are looked up
once per instrument, never once per bar."""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from pairs_platform.data.cleaning import CleaningRules


def _flag_first_bars(log_close: pd.Series, ids: pd.Series, cap: pd.Series, window: int) -> pd.Series:
    """The leading bars of each instrument that sit more than ``cap`` away from the median of the
    ``window`` usable bars after them (up to ``window`` such bars in a row; one pass per bar).

    Only each instrument's first bar is judged in a pass, so a pass gathers (instruments x
    ``window``) values by position, never all the bars."""
    codes, _ = pd.factorize(ids)
    order = np.argsort(codes, kind="stable")  # each instrument's bars together, in their order
    values, group, limit = log_close.to_numpy()[order], codes[order], cap.reindex(log_close.index).to_numpy()[order]
    flagged = np.zeros(len(order), dtype=bool)
    for _ in range(window):
        alive = np.flatnonzero(~flagged)
        if not len(alive):
            break
        starts = np.flatnonzero(np.r_[True, group[alive][1:] != group[alive][:-1]])
        ends = np.r_[starts[1:], len(alive)]
        ahead = np.full((len(starts), window), np.nan)
        for k in range(1, window + 1):
            inside = starts + k < ends
            ahead[inside, k - 1] = values[alive[starts[inside] + k]]
        some = ~np.isnan(ahead).all(axis=1)
        median = np.full(len(starts), np.nan)
        median[some] = np.nanmedian(ahead[some], axis=1)
        first = alive[starts]
        with np.errstate(invalid="ignore"):
            bad = some & (np.abs(values[first] - median) > limit[first])
        if not bad.any():
            break
        flagged[first[bad]] = True
    out = np.zeros(len(order), dtype=bool)
    out[order] = flagged
    return pd.Series(out, index=log_close.index)


def _lagged_rolling_median(values: pd.Series, ids: pd.Series, window: int) -> pd.Series:
    """Per instrument, the median of the ``window`` values before each row (at least 3 of them,
    NaN skipped): ``groupby(ids).transform(lambda s: s.shift(1).rolling(window, 3).median())``, in
    one rolling pass. Instruments are laid end to end with ``window + 1`` NaN rows between them, so no
    window reaches into another instrument."""
    if values.empty:
        return values.astype(float)
    codes, _ = pd.factorize(ids)
    order = np.argsort(codes, kind="stable")
    group, data = codes[order], values.to_numpy(dtype=float)[order]
    new = np.r_[True, group[1:] != group[:-1]]
    lagged = np.r_[np.nan, data[:-1]]
    lagged[new] = np.nan  # the first row of an instrument has no previous value
    slot = np.arange(len(data)) + (window + 1) * np.cumsum(new)  # a gap of window + 1 slots per instrument
    padded = np.full(slot[-1] + 1, np.nan)
    padded[slot] = lagged
    median = pd.Series(padded).rolling(window, min_periods=3).median().to_numpy()[slot]
    out = np.empty(len(data))
    out[order] = median
    return pd.Series(out, index=values.index)


def _per_bar(ids: pd.Series, classes: pd.Series, by_class: dict) -> pd.Series:
    """``by_class[asset class of the bar's instrument]`` for every bar (NaN for an unknown class),
    looked up once per instrument rather than once per bar."""
    codes, uniques = pd.factorize(ids)
    per_id = classes.reindex(uniques).map(by_class).astype(float).to_numpy()
    return pd.Series(per_id[codes] if len(uniques) else np.full(len(ids), np.nan), index=ids.index)


def flag_outliers(bars: pd.DataFrame, classes: pd.Series, rules: CleaningRules) -> pd.Series:
    """Jump flags on the usable closes of ``bars`` (sorted by instrument, session): the first-bar
    rule on each instrument's leading bars, then the causal rule on the rest (rule 4 of
    :mod:`pairs_platform.data.cleaning`).

    Parameters
    ----------
    bars : long bars, one per (instrument, session), sorted by instrument then session.
    classes : asset class per instrument id (the instrument table's ``asset_class``).
    rules : the cleaning rules (``max_abs_log_return``, ``min_jump``, ``spike_sigmas``,
        ``sigma_window``, ``first_bar_window``).

    Returns
    -------
    Boolean Series on ``bars.index``: True where the close is to be replaced.
    """
    usable = bars[bars["close"].notna()]
    cap, floor = (_per_bar(usable["instrument_id"], classes, by_class)
                  for by_class in (rules.max_abs_log_return, rules.min_jump))
    first = _flag_first_bars(np.log(usable["close"]), usable["instrument_id"], cap, rules.first_bar_window)
    usable, cap, floor = usable[~first], cap[~first], floor[~first]
    log_close = np.log(usable["close"])
    grouped = log_close.groupby(usable["instrument_id"], sort=False)
    ret, ret2 = grouped.diff(1), grouped.diff(2)
    if "contract" in usable.columns:  # across a roll: the new contract's own move, or nothing
        contract = usable["contract"].astype(str).where(usable["contract"].notna(), "")
        same = contract.groupby(usable["instrument_id"]).shift(1).fillna(contract) == contract
        own = np.log(usable["close"] / usable["prev_close"]) if "prev_close" in usable.columns else 0.0
        ret = ret.where(same, pd.Series(own, index=usable.index).fillna(0.0) if np.ndim(own) else 0.0)
    abs_ret = ret.abs()
    sigma = 1.4826 * _lagged_rolling_median(abs_ret, usable["instrument_id"], rules.sigma_window)
    threshold = np.minimum(np.maximum(rules.spike_sigmas * sigma.fillna(np.inf), floor), cap)
    jump = abs_ret > threshold
    prev_jump = jump.groupby(usable["instrument_id"], sort=False).shift(1, fill_value=False).astype(bool)
    flagged = jump & (~prev_jump | (ret2.abs() > threshold))
    return (flagged.reindex(bars.index, fill_value=False) | first.reindex(bars.index, fill_value=False))
