"""Deflated Sharpe ratio and probability of backtest overfitting of a walk-forward parameter search.

:func:`deflate_search` takes a :class:`~pairs_platform.backtest.optimize.SearchResult` and the
daily returns of every trial over the whole period (:func:`trial_returns`, one ``run_grid`` batch)
and reports what the search's numbers are worth once the number of trials is accounted for.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pairs_platform.backtest.deflation import (
    deflated_sharpe_ratio, expected_max_sharpe, probability_of_backtest_overfitting, sharpe_moments,
    sharpe_standard_error,
)
from pairs_platform.backtest.engine import run_grid


def trial_returns(prices: pd.DataFrame, schedule: pd.DataFrame, candidates: list, **run_grid_options) -> pd.DataFrame:
    """(dates x trial_id) daily returns of every candidate parameter set, in one ``run_grid`` batch.

    ``run_grid_options``: instruments, costs, limits, capital, open_prices (as the search used).
    """
    capital = float(run_grid_options.get("capital", 1_000_000.0))
    run = run_grid(prices, schedule, list(candidates), **run_grid_options)
    equity = run.equity
    previous = equity.shift(1)
    previous.iloc[0] = capital
    returns = equity / previous - 1.0
    returns.columns = pd.RangeIndex(len(candidates), name="trial_id")
    return returns


def deflate_search(result, returns: pd.DataFrame, n_splits: int = 16, periods_per_year: float = 252.0) -> dict:
    """DSR of the search's out-of-sample headline and PBO of its trials.

    ``result``: the SearchResult (its ``oos`` chained returns are the Sharpe being deflated);
    ``returns``: :func:`trial_returns` of ``result.candidates``. The number of trials is the number
    of candidates and the variance of the trial Sharpes is taken across their full-period daily
    Sharpes (Bailey and Lopez de Prado 2014). Returns a flat dict of floats: ``n_trials``,
    ``trial_sharpe_std`` (annualized), ``expected_max_sharpe`` (annualized: what the best of
    ``n_trials`` unskilled trials would show), ``oos_sharpe``, ``oos_sharpe_se`` (annualized),
    ``deflated_sharpe_ratio`` (probability, >= 0.95 to call the headline significant), ``pbo`` and
    ``pbo_splits``. Undefined figures (a flat OOS book, too short a history) are NaN, with
    ``notes`` saying why.
    """
    if returns.shape[1] != len(result.candidates):
        raise ValueError(f"returns has {returns.shape[1]} trial columns but the search ran "
                         f"{len(result.candidates)} candidates; build it with trial_returns(result.candidates)")
    scale = np.sqrt(periods_per_year)
    r = returns.to_numpy(dtype=np.float64)
    std = np.nanstd(r, axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        trial_sr = np.where(std > 0, np.nanmean(r, axis=0) / std, 0.0)
    n_trials = len(result.candidates)
    variance = float(np.var(trial_sr, ddof=1)) if n_trials > 1 else 0.0
    out = {"n_trials": float(n_trials), "trial_sharpe_std": float(np.sqrt(variance) * scale),
           "expected_max_sharpe": expected_max_sharpe(n_trials, variance) * scale}
    notes = []
    out.update(_oos_deflation(result, n_trials, variance, scale, notes))
    out.update(_pbo(r, n_splits, notes))
    out["notes"] = "; ".join(notes)
    return out


def _oos_deflation(result, n_trials, variance, scale, notes) -> dict:
    nan = {"oos_sharpe": np.nan, "oos_sharpe_se": np.nan, "deflated_sharpe_ratio": np.nan}
    if result.oos is None:
        notes.append("no out-of-sample run (a single trading window)")
        return nan
    try:
        sr, g3, g4, n = sharpe_moments(result.oos.returns.to_numpy())
    except ValueError as exc:
        notes.append(f"out-of-sample Sharpe undefined: {exc}")
        return nan
    return {"oos_sharpe": sr * scale, "oos_sharpe_se": sharpe_standard_error(sr, n, g3, g4) * scale,
            "deflated_sharpe_ratio": deflated_sharpe_ratio(sr, n, n_trials, variance, g3, g4)}


def _pbo(r: np.ndarray, n_splits: int, notes: list) -> dict:
    if r.shape[1] < 2:
        notes.append("PBO needs at least two trials")
        return {"pbo": np.nan, "pbo_splits": float(n_splits)}
    splits = n_splits
    while splits > 2 and r.shape[0] < 2 * splits:
        splits -= 2
    try:
        report = probability_of_backtest_overfitting(r, splits)
    except ValueError as exc:
        notes.append(f"PBO undefined: {exc}")
        return {"pbo": np.nan, "pbo_splits": float(splits)}
    return {"pbo": report.pbo, "pbo_splits": float(splits), "pbo_mean_oos_rank": report.mean_oos_rank}
