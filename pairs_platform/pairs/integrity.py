"""How often does pair selection pick noise, and how often does it find real pairs?

:class:`SelectionPolicy` is the platform's default way of choosing pairs for one formation window,
with the settings measured to control false pairs (docs/pair_selection.md, "False pairs"):
Engle-Granger in either direction (Bonferroni: the pair p-value is twice the smaller of the two
regressions'), Benjamini-Hochberg FDR at 5% over the candidates within economic groups (sector for
equities and futures, asset class for bonds and crypto), a three-year (756-bar) formation window,
half-life 2..60 bars, one pair per instrument (the best-ranked), at most 10 pairs.

The measurement helpers run a policy on universes where the truth is known:
:func:`null_universe` (every instrument an independent random walk: every selected pair is false)
and :func:`synthetic_market` (the seeded synthetic source, whose planted pairs are the only true ones).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pairs_platform.pairs.selection import PairFilters, select_pairs


@dataclass(frozen=True)
class SelectionPolicy:
    """Default pair selection of one formation window (see module doc for why these values).

    ``max_pvalue`` None selects by FDR; a number selects per test at that level (no
    multiple-testing control: on random walks it fills the slots with false pairs).
    ``direction="either"`` with ``one_pair_per_leg``: the larger-p rule ("both") lost a planted
    pair whose reverse regression is attenuated (a low-volatility leg against a noisy partner);
    "either" finds it, and one pair per leg removes the false pairs "either" alone adds (a leg
    dominated by a stationary component tests cointegrated with every partner).
    """

    formation_days: int = 756
    trading_days: int = 63
    group_by: str = "economic"
    fdr: float = 0.05
    direction: str = "either"
    min_half_life: float = 2.0
    max_half_life: float = 60.0
    max_pairs: int = 10
    max_pvalue: float | None = None
    one_pair_per_leg: bool = True

    def filters(self) -> PairFilters:
        """The post-test filters (half-life bounds; Sarmento and Horta's others at their defaults)."""
        return PairFilters(min_half_life=self.min_half_life, max_half_life=self.max_half_life)

    def select(self, formation: pd.DataFrame, instruments: pd.DataFrame) -> pd.DataFrame:
        """``select_pairs`` on one formation window's prices (instruments with missing prices dropped)."""
        usable = formation.dropna(axis=1)
        return select_pairs(usable, instruments, candidates="group",
                            group_by=self.group_by, fdr=self.fdr, direction=self.direction,
                            max_pvalue=self.max_pvalue, filters=self.filters(), max_pairs=self.max_pairs,
                            one_pair_per_leg=self.one_pair_per_leg)


def null_universe(instruments: pd.DataFrame, n_obs: int, seed: int, vol: float = 0.015) -> pd.DataFrame:
    """Wide prices where every instrument of the table is an independent log random walk.

    Same ids (so the same candidate groups) as ``instruments``; daily log-return sd ``vol``;
    business-day dates. No pair is cointegrated: every selected pair is a false discovery.
    """
    rng = np.random.default_rng(seed)
    log_prices = np.log(rng.uniform(20, 200, len(instruments))) + np.cumsum(
        rng.normal(0.0, vol, (n_obs, len(instruments))), axis=0)
    index = pd.DatetimeIndex(pd.bdate_range("2000-01-03", periods=n_obs), name="date")
    return pd.DataFrame(np.exp(log_prices), index=index, columns=instruments.index)


def null_false_pairs(policy: SelectionPolicy, instruments: pd.DataFrame, seeds, n_obs: int | None = None) -> pd.DataFrame:
    """Per seed: pairs selected on a :func:`null_universe` of ``n_obs`` bars (default the policy's
    formation length), tests run and the bound on expected false discoveries."""
    n_obs = policy.formation_days if n_obs is None else int(n_obs)
    rows = []
    for seed in seeds:
        chosen = policy.select(null_universe(instruments, n_obs, int(seed)), instruments)
        rows.append({"seed": int(seed), "n_obs": n_obs, "false_pairs": len(chosen),
                     "tests": chosen.attrs["n_tests"],
                     "expected_false_bound": chosen.attrs["expected_false_discoveries"]})
    return pd.DataFrame(rows)


def synthetic_market(seed: int, start, end, instruments: pd.DataFrame, group_by: str = "economic"):
    """(wide prices on trading days, planted pairs) of the seeded synthetic source.

    Futures are made continuous as in the pipeline; crypto keeps trading-day bars only. Planted
    pairs are returned as frozensets of two ids, restricted to pairs whose legs share a
    ``group_by`` group (the only ones a grouped selection can find).
    """
    from pairs_platform.data.prices import continuous_futures, to_wide
    from pairs_platform.data.sources.synthetic import SyntheticSource
    from pairs_platform.pairs.candidates import group_labels

    source = SyntheticSource(seed)
    ids = source.instrument_ids()
    bars = continuous_futures(source.fetch(ids, start, end), instruments.loc[ids])
    wide = to_wide(bars.drop(columns=["session"], errors="ignore"))
    wide = wide[wide.drop(columns=source.instrument_ids("crypto")).notna().all(axis=1)]
    labels = dict(zip(wide.columns, group_labels(list(wide.columns), instruments, group_by)))
    truth = source.ground_truth()
    planted = {frozenset((y, x)) for y, x in zip(truth["y"], truth["x"])
               if labels.get(y) is not None and labels.get(y) == labels.get(x)}
    return wide, planted


def window_recall(policy: SelectionPolicy, prices: pd.DataFrame, instruments: pd.DataFrame,
                  planted: set, step: int | None = None) -> pd.DataFrame:
    """Per formation window (every ``step`` bars, default the policy's trading length): share of the
    planted pairs selected (``recall``) and selected pairs that are not planted (``false_pairs``)."""
    step = policy.trading_days if step is None else int(step)
    starts = range(0, len(prices) - policy.formation_days + 1, step)
    rows = []
    for start in starts:
        chosen = policy.select(prices.iloc[start:start + policy.formation_days], instruments)
        picked = {frozenset(p) for p in zip(chosen["y"], chosen["x"])}
        rows.append({"formation_end": prices.index[start + policy.formation_days - 1],
                     "recall": len(picked & planted) / len(planted) if planted else np.nan,
                     "false_pairs": len(picked - planted), "selected": len(picked)})
    return pd.DataFrame(rows)
