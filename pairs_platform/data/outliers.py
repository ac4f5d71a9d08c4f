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
    ``window`` usable bars after them (up to ``window`` such bars in a row; one pass per bar)."""
    flagged = pd.Series(False, index=log_close.index)
    for _ in range(window):
        alive = log_close[~flagged]
        grouped = alive.groupby(ids[~flagged], sort=False)
        ahead = pd.concat([grouped.shift(-k) for k in range(1, window + 1)], axis=1).median(axis=1)
        first = grouped.cumcount() == 0
        bad = first & ahead.notna() & ((alive - ahead).abs() > cap[alive.index])
        if not bad.any():
            break
        flagged[bad.index[bad.to_numpy()]] = True
    return flagged


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
    sigma = 1.4826 * abs_ret.groupby(usable["instrument_id"], sort=False).transform(
        lambda s: s.shift(1).rolling(rules.sigma_window, min_periods=3).median())
    threshold = np.minimum(np.maximum(rules.spike_sigmas * sigma.fillna(np.inf), floor), cap)
    jump = abs_ret > threshold
    prev_jump = jump.groupby(usable["instrument_id"], sort=False).shift(1, fill_value=False).astype(bool)
    flagged = jump & (~prev_jump | (ret2.abs() > threshold))
    return (flagged.reindex(bars.index, fill_value=False) | first.reindex(bars.index, fill_value=False))
