"""Tables of a return series for the tear sheet: yearly returns and the worst drawdowns (pure pandas).

Both follow :func:`pairs_platform.backtest.metrics.performance_summary`'s conventions: simple daily
returns compounded from a starting wealth of 1, which counts as a peak, so the deepest drawdown of
:func:`worst_drawdowns` is the summary's ``max_drawdown``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

DRAWDOWN_COLUMNS = ["start", "trough", "recovery", "depth (%)", "length (days)", "to trough (days)"]


def yearly_returns(returns: pd.Series) -> pd.DataFrame:
    """Compounded return of each calendar year.

    Parameters
    ----------
    returns : pd.Series
        Simple daily returns on a ``DatetimeIndex`` (NaN counts as 0).

    Returns
    -------
    pd.DataFrame
        Indexed by ``year``: ``return (%)`` (compounded, in percent) and ``sessions (days)`` (the
        number of daily returns in the year; a partial first or last year shows fewer).
    """
    r = returns.fillna(0.0).astype("float64")
    grouped = (1.0 + r).groupby(r.index.year)
    table = pd.DataFrame({"return (%)": (grouped.prod() - 1.0) * 100.0, "sessions (days)": grouped.size()})
    table.index.name = "year"
    return table


def worst_drawdowns(returns: pd.Series, top: int = 5) -> pd.DataFrame:
    """The ``top`` deepest drawdowns: start (the peak), trough, recovery, depth and lengths.

    A drawdown runs from a peak of wealth to the first session back at or above that peak (its
    recovery; NaT while it is not recovered). Lengths are calendar days from the peak to the
    recovery (to the last session when unrecovered) and from the peak to the trough. Vectorized:
    each session is labelled with the number of peaks so far, and each label is one drawdown.

    Parameters
    ----------
    returns : pd.Series
        Simple daily returns on a ``DatetimeIndex`` (NaN counts as 0).
    top : int, default 5
        Rows kept, deepest first.

    Returns
    -------
    pd.DataFrame
        Columns :data:`DRAWDOWN_COLUMNS`; ``depth (%)`` is negative (wealth / peak - 1, in percent).
        Empty when wealth never falls below a peak.
    """
    r = returns.fillna(0.0).astype("float64")
    if r.empty:
        return pd.DataFrame(columns=DRAWDOWN_COLUMNS)
    wealth = np.cumprod(1.0 + r.to_numpy())
    peak = np.maximum.accumulate(np.r_[1.0, wealth])[1:]
    at_peak = wealth >= peak
    label = np.cumsum(at_peak)  # 0: below the starting wealth before any new peak
    dates = r.index
    # the peak of label k is the session where it was set (label 0: the day before the first session)
    first_day = dates[0] - pd.Timedelta(days=1)
    depth = pd.Series(wealth / peak - 1.0, index=dates)
    groups = depth.groupby(label)
    table = pd.DataFrame({"depth": groups.min(), "trough": groups.idxmin()})
    peaks = pd.Series(dates[at_peak], index=label[at_peak])  # label k starts on its peak session
    table["start"] = peaks.reindex(table.index).fillna(first_day).to_numpy()
    table["recovery"] = peaks.reindex(table.index + 1).to_numpy()  # the next peak recovers label k
    table = table[table["depth"] < 0].nsmallest(top, "depth")
    end = table["recovery"].fillna(dates[-1])
    out = pd.DataFrame({"start": table["start"], "trough": table["trough"], "recovery": table["recovery"],
                        "depth (%)": table["depth"] * 100.0,
                        "length (days)": (end - table["start"]).dt.days,
                        "to trough (days)": (table["trough"] - table["start"]).dt.days})
    return out.reset_index(drop=True)
