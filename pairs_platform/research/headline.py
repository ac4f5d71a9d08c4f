"""The backtest's honest headline: the real-data sleeve first, every Sharpe with its PSR and a
confidence interval, synthetic-leg pairs apart, and the entry filters' ablation on real data.

:func:`build_headline` runs the strategy once per sleeve (``backtest.sleeves``; the ``all`` sleeve is
the traded book), adds :func:`sharpe_evidence` to each sleeve's row and runs the four-way ablation
(none, regime, ML, both; ``research.placebo.ablation_of_masks``) on the real-data pairs only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pairs_platform.backtest.deflation import probabilistic_sharpe_ratio, sharpe_interval, sharpe_moments
from pairs_platform.research.placebo import BacktestSpec, ablation_of_masks
from pairs_platform.backtest.results import BacktestResult
from pairs_platform.backtest.sleeves import run_sleeves, sleeve_rows, sleeve_table

REAL, SYNTHETIC = "real data only", "with a synthetic leg"
EVIDENCE_KEYS = ("psr", "sharpe_low", "sharpe_high", "sharpe_se")


def sharpe_evidence(returns, level: float = 0.95) -> dict:
    """Annualized Sharpe with its ``level`` confidence interval and SE, and the PSR (P(true Sharpe
    > 0)) of daily ``returns``; all NaN when the Sharpe is undefined (a flat book, too few days)."""
    try:
        interval = sharpe_interval(returns, level)
        sr, g3, g4, n = sharpe_moments(returns)
    except ValueError:
        return {"sharpe": math.nan, **{k: math.nan for k in EVIDENCE_KEYS}}
    return {"sharpe": interval["sharpe"], "psr": probabilistic_sharpe_ratio(sr, n, g3, g4),
            "sharpe_low": interval["sharpe_low"], "sharpe_high": interval["sharpe_high"],
            "sharpe_se": interval["sharpe_se"]}


@dataclass(frozen=True)
class Headline:
    """``result``: the whole book (every pair, the configured filters; what is traded);
    ``sleeves``: one result per sleeve; ``table``: sleeve x (pairs_scheduled, net_pnl, headline
    metrics, psr, sharpe_low, sharpe_high, sharpe_se), real first; ``ablation``: variant x
    (sharpe, cagr, trade_count) on the real-data pairs."""

    result: BacktestResult
    sleeves: dict
    table: pd.DataFrame
    ablation: pd.DataFrame

    def real(self) -> dict:
        """The real-data sleeve's row as a dict (the headline figures)."""
        return {k: float(v) for k, v in self.table.loc[REAL].items()}


def evidence_table(sleeves: dict, schedule: pd.DataFrame, instruments: pd.DataFrame) -> pd.DataFrame:
    """:func:`sleeve_table` with each sleeve's :func:`sharpe_evidence`, real-data sleeve first."""
    table = sleeve_table(sleeves, schedule, instruments)
    evidence = pd.DataFrame({name: sharpe_evidence(res.returns.to_numpy()) for name, res in sleeves.items()}).T
    table[list(EVIDENCE_KEYS)] = evidence[list(EVIDENCE_KEYS)]
    return table.loc[[REAL, SYNTHETIC, "all"]]


def build_headline(spec: BacktestSpec, entry_allowed: np.ndarray | None, variants: dict) -> Headline:
    """Sleeves, evidence table and real-data ablation of one backtest.

    ``entry_allowed``: the configured filters' (dates x schedule rows) mask; ``variants``:
    ``{variant: mask or None}`` over the same rows (``signals.entries.filter_variants``).
    """
    sleeves = run_sleeves(spec.prices, spec.schedule, spec.instruments, entry_allowed, params=spec.params,
                          costs=spec.costs, limits=spec.limits, capital=spec.capital)
    table = evidence_table(sleeves, spec.schedule, spec.instruments)
    real = sleeve_rows(spec.schedule, spec.instruments)[REAL]
    if real.any():
        real_spec = replace(spec, schedule=spec.schedule[real].reset_index(drop=True))
        ablation = ablation_of_masks(real_spec, {k: None if m is None else np.asarray(m)[:, real]
                                                 for k, m in variants.items()})
    else:
        ablation = pd.DataFrame(columns=["sharpe", "cagr", "trade_count"],
                                index=pd.Index(list(variants), name="filter"), dtype=float)
    return Headline(sleeves["all"], sleeves, table, ablation)
