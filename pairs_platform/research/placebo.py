"""A filter must earn its place: ablation and placebo tests of the entry filters.

- :func:`ablation`: the same backtest with no filter, the regime filter, the ML filter and both.
- :func:`ml_placebo`: the ML filter retrained on permuted labels ``n_runs`` times (labels shuffled
  within each walk-forward block of label end dates, so no label crosses a retraining cutoff and
  each block keeps its base rate), each re-filtering the same entries; the real filter's Sharpe is
  ranked in that distribution. A filter with skill beats its placebos; one whose gain comes from
  how many entries it drops, or from luck, does not.
- :func:`regime_placebo`: the regime verdicts circularly shifted in time by random offsets (same
  share and persistence of blocked days, unrelated dates).

``p_value = (1 + #placebo Sharpe >= real) / (1 + n_runs)``; ``percentile`` the share of placebos
strictly below the real filter. Seeds are fixed and returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from pairs_platform.backtest.engine import run_grid
from pairs_platform.backtest.metrics import performance_summary
from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.ml.walkforward import predict_walk_forward, train_walk_forward
from pairs_platform.risk.limits import RiskLimits

VARIANTS = ("none", "regime", "ml", "both")


@dataclass(frozen=True)
class BacktestSpec:
    """What one backtest needs besides its entry mask."""

    prices: pd.DataFrame
    schedule: pd.DataFrame
    instruments: pd.DataFrame | None = None
    params: StrategyParams = field(default_factory=StrategyParams)
    costs: CostModel = field(default_factory=CostModel)
    limits: RiskLimits = field(default_factory=RiskLimits)
    capital: float = 1_000_000.0


@dataclass(frozen=True)
class FilterInputs:
    """The entry filters' inputs: ML features and labels (``EntryLabels.to_frame``), retraining
    cutoffs, the regime verdict per date (``regime_allows_entry``) and the schedule's pair ids."""

    features: pd.DataFrame
    labels: pd.DataFrame
    cutoffs: list
    regime_ok: pd.Series
    pair_ids: list
    model: str = "gradient_boosting"
    min_samples: int = 60
    threshold: float | None = None
    seed: int = 0


@dataclass(frozen=True)
class PlaceboResult:
    """The real filter's Sharpe, the placebo Sharpes, its percentile and p-value, and the seeds."""

    name: str
    real_sharpe: float
    unfiltered_sharpe: float
    placebo_sharpes: np.ndarray
    percentile: float
    p_value: float
    seeds: tuple

    def share_beating_unfiltered(self) -> float:
        """Share of placebo filters whose Sharpe beats the unfiltered strategy's."""
        return float(np.mean(self.placebo_sharpes > self.unfiltered_sharpe))


def ml_mask(verdict: pd.DataFrame, dates: pd.DatetimeIndex, pair_ids: list) -> np.ndarray:
    """(dates, rows) entry mask from ``predict_walk_forward``'s ``accept``: False where a model
    rejects, True elsewhere (no model, no feature row)."""
    mask = np.ones((len(dates), len(pair_ids)), dtype=bool)
    rejected = verdict.index[~verdict["accept"].to_numpy(dtype=bool)]
    t = dates.get_indexer(rejected.get_level_values("date"))
    k = pd.Index(pair_ids).get_indexer(rejected.get_level_values("pair_id"))
    keep = (t >= 0) & (k >= 0)
    mask[t[keep], k[keep]] = False
    return mask


def regime_mask(regime_ok: pd.Series, dates: pd.DatetimeIndex, n_rows: int) -> np.ndarray:
    """(dates, rows) mask: the date's regime verdict for every row (unknown dates: False)."""
    allowed = regime_ok.reindex(dates).fillna(False).to_numpy(dtype=bool)
    return np.repeat(allowed[:, None], n_rows, axis=1)


def _run(spec: BacktestSpec, masks: list) -> pd.DataFrame:
    """Sharpe, CAGR and trades of one run per mask (run_grid, one parameter set, no logs)."""
    rows = []
    for mask in masks:
        run = run_grid(spec.prices, spec.schedule, [spec.params], spec.instruments, spec.costs, spec.limits,
                       spec.capital, entry_allowed=mask)
        equity = run.equity[0].to_numpy()
        summary = performance_summary(equity / np.r_[spec.capital, equity[:-1]] - 1.0)
        rows.append({"sharpe": summary["sharpe"], "cagr": summary["cagr"],
                     "trade_count": int(run.stats.loc[0, "trade_count"])})
    return pd.DataFrame(rows)


def _ml_verdict(filt: FilterInputs, labels: pd.DataFrame) -> pd.DataFrame:
    segments = train_walk_forward(filt.features, labels, filt.cutoffs, model=filt.model,
                                  min_samples=filt.min_samples, threshold=filt.threshold, seed=filt.seed)
    return predict_walk_forward(segments, filt.features)


def ablation(spec: BacktestSpec, filt: FilterInputs) -> pd.DataFrame:
    """Variant (none, regime, ml, both) x (sharpe, cagr, trade_count) of the same strategy."""
    dates = pd.DatetimeIndex(spec.prices.index)
    ml = ml_mask(_ml_verdict(filt, filt.labels), dates, filt.pair_ids)
    regime = regime_mask(filt.regime_ok, dates, len(filt.pair_ids))
    return ablation_of_masks(spec, dict(zip(VARIANTS, [None, regime, ml, ml & regime])))


def ablation_of_masks(spec: BacktestSpec, masks: dict) -> pd.DataFrame:
    """Variant x (sharpe, cagr, trade_count) of the same strategy, one run per ``{variant: entry mask}``
    (None: no filter), e.g. the masks of ``signals.entries.filter_variants``."""
    table = _run(spec, list(masks.values()))
    table.index = pd.Index(list(masks), name="filter")
    return table


def permute_labels(labels: pd.DataFrame, cutoffs: list, rng: np.random.Generator) -> pd.DataFrame:
    """Labels shuffled within each block of label end dates between consecutive cutoffs."""
    out = labels.copy()
    resolved = np.flatnonzero(out["label"].notna().to_numpy())
    ends = pd.to_datetime(out["label_end"].to_numpy()[resolved])
    block = np.searchsorted(pd.DatetimeIndex(cutoffs).values, ends.values, side="right")
    values = out["label"].to_numpy(dtype=np.float64).copy()
    order = np.lexsort((rng.random(len(resolved)), block))  # random order within each block
    by_block = resolved[np.argsort(block, kind="stable")]
    values[by_block] = values[resolved[order]]
    out["label"] = values
    return out


def _result(name, real, unfiltered, placebo, seeds) -> PlaceboResult:
    placebo = np.asarray(placebo, dtype=np.float64)
    return PlaceboResult(name, float(real), float(unfiltered), placebo, float(np.mean(placebo < real)),
                         float((1 + np.sum(placebo >= real)) / (1 + len(placebo))), tuple(seeds))


def ml_placebo(spec: BacktestSpec, filt: FilterInputs, n_runs: int = 50, seed: int = 0) -> PlaceboResult:
    """The ML filter against ``n_runs`` filters trained on permuted labels (see module doc)."""
    dates = pd.DatetimeIndex(spec.prices.index)
    seeds = [seed + i for i in range(n_runs)]
    masks = [ml_mask(_ml_verdict(filt, filt.labels), dates, filt.pair_ids)]
    masks += [ml_mask(_ml_verdict(filt, permute_labels(filt.labels, filt.cutoffs, np.random.default_rng(s))),
                      dates, filt.pair_ids) for s in seeds]
    runs = _run(spec, [None] + masks)["sharpe"].to_numpy()
    return _result("ml", runs[1], runs[0], runs[2:], seeds)


def regime_placebo(spec: BacktestSpec, filt: FilterInputs, n_runs: int = 50, seed: int = 0) -> PlaceboResult:
    """The regime filter against ``n_runs`` circular time shifts of its verdicts."""
    dates = pd.DatetimeIndex(spec.prices.index)
    verdict = filt.regime_ok.reindex(dates).fillna(False)
    rng = np.random.default_rng(seed)
    shifts = rng.integers(21, max(len(dates) - 21, 22), n_runs)
    shifted = [pd.Series(np.roll(verdict.to_numpy(), int(s)), index=dates) for s in shifts]
    masks = [regime_mask(v, dates, len(filt.pair_ids)) for v in [verdict] + shifted]
    runs = _run(spec, [None] + masks)["sharpe"].to_numpy()
    return _result("regime", runs[1], runs[0], runs[2:], [seed] + [int(s) for s in shifts])


def restrict(spec: BacktestSpec, filt: FilterInputs, rows) -> tuple[BacktestSpec, FilterInputs]:
    """The backtest and filter inputs of the schedule rows where ``rows`` (boolean, schedule order)
    is True, e.g. the real-data pairs (``backtest.sleeves.sleeve_rows``): features and labels of
    the other pairs are dropped, so the ML filter is trained and judged on those rows only."""
    rows = np.asarray(rows, dtype=bool)
    if rows.shape != (len(spec.schedule),):
        raise ValueError(f"rows has shape {rows.shape}, expected ({len(spec.schedule)},): one flag per schedule row")
    keep = [p for p, r in zip(filt.pair_ids, rows) if r]

    def on(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame.index.get_level_values("pair_id").isin(keep)]
    return (replace(spec, schedule=spec.schedule[rows].reset_index(drop=True)),
            replace(filt, features=on(filt.features), labels=on(filt.labels), pair_ids=keep))
