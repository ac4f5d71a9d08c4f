"""Real data as the headline: the strategy re-run on the pairs whose both legs are real.

Synthetic instruments are planted to mean-revert, so any profit they make says nothing about real
markets. :func:`run_sleeves` re-simulates the same schedule (same parameters, costs, limits, entry
filter) restricted to its rows by data source:

- ``"all"``: every row (the pipeline's number);
- ``"real data only"``: rows whose two legs are real (``data_source`` other than 'synthetic');
- ``"with a synthetic leg"``: the rest.

Capital: every sleeve gets the full ``capital`` and sizes each pair as the strategy does (a
fraction of equity per pair), so a sleeve is "what trading only these pairs would have made"; the
sleeves' P&L do not add up to the whole (fewer pairs share the same capital). Headline metrics
(CAGR, Sharpe, drawdown, trades) are each sleeve's own, from its own simulation.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from pairs_platform.backtest.engine import run_backtest
from pairs_platform.backtest.results import BacktestResult

SLEEVES = ("all", "real data only", "with a synthetic leg")
HEADLINE_KEYS = ("cagr", "sharpe", "max_drawdown", "annual_volatility", "trade_count", "hit_rate")


def synthetic_legs(schedule: pd.DataFrame, instruments: pd.DataFrame) -> np.ndarray:
    """Boolean per schedule row: True when either leg's ``data_source`` is 'synthetic'.

    Raises naming the legs missing from the instrument table (their source is unknown).
    """
    if "data_source" not in instruments.columns:
        raise KeyError("instrument table has no 'data_source' column; build it with "
                       "pairs_platform.data.instruments.default_instruments or add the column")
    legs = pd.concat([schedule["y"], schedule["x"]]).astype(str)
    unknown = sorted(set(legs) - set(instruments.index.astype(str)))
    if unknown:
        raise KeyError(f"schedule legs {unknown[:10]} are not in the instrument table: their data "
                       "source is unknown; add them to the table")
    source = instruments["data_source"].astype(str)
    return (schedule["y"].astype(str).map(source).eq("synthetic")
            | schedule["x"].astype(str).map(source).eq("synthetic")).to_numpy()


def sleeve_rows(schedule: pd.DataFrame, instruments: pd.DataFrame) -> dict[str, np.ndarray]:
    """Boolean row mask of each sleeve of :data:`SLEEVES`."""
    synthetic = synthetic_legs(schedule, instruments)
    return {"all": np.ones(len(schedule), dtype=bool), "real data only": ~synthetic,
            "with a synthetic leg": synthetic}


def run_sleeves(prices: pd.DataFrame, schedule: pd.DataFrame, instruments: pd.DataFrame,
                entry_allowed: np.ndarray | None = None, **run_options) -> dict[str, BacktestResult]:
    """One :func:`run_backtest` per sleeve, with the same ``run_options`` (params, costs, limits,
    capital, open_prices) and the sleeve's columns of ``entry_allowed`` (dates x schedule rows)."""
    out = {}
    for name, rows in sleeve_rows(schedule, instruments).items():
        mask = None if entry_allowed is None else np.asarray(entry_allowed)[:, rows]
        out[name] = run_backtest(prices, schedule[rows].reset_index(drop=True), instruments,
                                 entry_allowed=mask, **run_options)
    return out


def sleeve_table(sleeves: dict[str, BacktestResult], schedule: pd.DataFrame,
                 instruments: pd.DataFrame) -> pd.DataFrame:
    """Sleeve x (pairs scheduled, net P&L, headline metrics): the real-only row is the headline."""
    rows = sleeve_rows(schedule, instruments)
    table = pd.DataFrame({name: {"pairs_scheduled": float(rows[name].sum()),
                                 "net_pnl": float(res.equity.iloc[-1] - res.capital),
                                 **{k: float(res.summary.get(k, np.nan)) for k in HEADLINE_KEYS}}
                          for name, res in sleeves.items()}).T
    table.index.name = "sleeve"
    return table


def real_headline(sleeves: dict[str, BacktestResult]) -> dict:
    """The headline metrics of the real-only sleeve (what the strategy earned on real data)."""
    summary = sleeves["real data only"].summary
    return {k: float(summary.get(k, np.nan)) for k in HEADLINE_KEYS}
