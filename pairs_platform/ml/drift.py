"""Drift of the entry filter's inputs and decay of its live performance, and the retrain rule.

``feature_drift`` compares each feature's distribution in a reference window (the champion's
training data: feature rows dated before its cutoff) with a recent window, by the population
stability index (PSI, on decile bins of the reference) and the two-sample Kolmogorov-Smirnov test.
A feature breaches when its PSI reaches ``DriftThresholds.psi`` or when its KS statistic reaches
``ks_statistic`` with a p-value below ``ks_alpha`` (both, so a tiny but "significant" shift on a
large sample does not trigger alone).

``performance_decay`` compares the live hit rate of the entries the model accepted after its
cutoff (labels resolved so far) with the model's purged-CV precision: decayed when the live rate is
below the estimate by at least ``margin`` and a one-sided binomial test rejects "live rate >=
estimate" at ``alpha``. ``should_retrain`` turns both reports into the sensor's decision.
Docs: docs/ml.md (Lifecycle).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["DecayReport", "DecayThresholds", "DriftReport", "DriftThresholds", "drift_windows",
           "feature_drift", "performance_decay", "population_stability_index", "should_retrain"]


@dataclass(frozen=True)
class DriftThresholds:
    """When a feature counts as drifted.

    Attributes:
        psi: PSI at or above which a feature breaches (0.1 watch, 0.25 act is the usual rule).
        ks_statistic, ks_alpha: a feature also breaches when KS >= ks_statistic and p < ks_alpha.
        bins: quantile bins of the reference for the PSI.
        min_samples: fewer finite values than this in either window: the feature is not judged.
        min_breaching_features: the report breaches when at least this many features do.
    """

    psi: float = 0.25
    ks_statistic: float = 0.1
    ks_alpha: float = 0.01
    bins: int = 10
    min_samples: int = 50
    min_breaching_features: int = 1


@dataclass(frozen=True)
class DriftReport:
    """Per-feature table (psi, ks_statistic, ks_pvalue, n_reference, n_recent, breach) and verdict."""

    table: pd.DataFrame
    breached: bool
    breached_features: tuple[str, ...]

    def to_metadata(self) -> dict:
        """Flat dict for asset-check metadata (the table as markdown)."""
        return {"breached": self.breached, "breached_features": ", ".join(self.breached_features),
                "max_psi": float(self.table["psi"].max()) if len(self.table) else 0.0,
                "table": self.table.round(4).to_markdown()}


def population_stability_index(reference: np.ndarray, recent: np.ndarray, bins: int = 10) -> float:
    """PSI of ``recent`` against ``reference`` on the reference's quantile bins (finite values only).

    Empty bins get a share of 1e-4 so the logarithm stays finite.
    """
    edges = np.unique(np.quantile(reference, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    new_counts = np.bincount(np.searchsorted(edges, recent, side="right"), minlength=len(edges) + 1)
    ref_share = np.maximum(ref_counts / len(reference), 1e-4)
    new_share = np.maximum(new_counts / len(recent), 1e-4)
    return float(np.sum((new_share - ref_share) * np.log(new_share / ref_share)))


def _finite(values: pd.Series) -> np.ndarray:
    array = values.to_numpy(dtype=np.float64)
    return array[np.isfinite(array)]


def _feature_row(reference: np.ndarray, recent: np.ndarray, limits: DriftThresholds) -> dict:
    row = {"n_reference": len(reference), "n_recent": len(recent)}
    if min(len(reference), len(recent)) < limits.min_samples:
        return {**row, "psi": np.nan, "ks_statistic": np.nan, "ks_pvalue": np.nan, "breach": False}
    psi = population_stability_index(reference, recent, limits.bins)
    ks = stats.ks_2samp(reference, recent)
    breach = psi >= limits.psi or (ks.statistic >= limits.ks_statistic and ks.pvalue < limits.ks_alpha)
    return {**row, "psi": psi, "ks_statistic": float(ks.statistic), "ks_pvalue": float(ks.pvalue),
            "breach": bool(breach)}


def feature_drift(reference: pd.DataFrame, recent: pd.DataFrame,
                  thresholds: DriftThresholds = DriftThresholds()) -> DriftReport:
    """PSI and KS per feature column of ``reference`` (``recent`` must have them all).

    Raises:
        KeyError: ``recent`` lacks a feature column of ``reference``.
    """
    missing = [c for c in reference.columns if c not in recent.columns]
    if missing:
        raise KeyError(f"recent feature window lacks columns {missing} of the reference window; build "
                       "both with pairs_platform.ml.features.build_features")
    rows = {name: _feature_row(_finite(reference[name]), _finite(recent[name]), thresholds)
            for name in reference.columns}
    table = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["psi", "ks_statistic", "ks_pvalue", "n_reference", "n_recent",
                                            "breach"])
    table.index.name = "feature"
    breached = tuple(table.index[table["breach"].astype(bool)])
    return DriftReport(table, len(breached) >= thresholds.min_breaching_features and bool(breached),
                       breached)


def drift_windows(features: pd.DataFrame, cutoff: pd.Timestamp,
                  recent_sessions: int = 60) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(reference, recent): rows dated before ``cutoff`` and rows of the last ``recent_sessions``
    distinct dates on or after it (the model's training inputs vs what it sees now)."""
    dates = features.index.get_level_values("date")
    cutoff = pd.Timestamp(cutoff)
    after = np.unique(dates[dates >= cutoff])[-recent_sessions:]
    return features[dates < cutoff], features[dates.isin(after)]


@dataclass(frozen=True)
class DecayThresholds:
    """When live performance counts as decayed: live hit rate <= expected - margin and binomial
    p < alpha, judged only with at least ``min_resolved`` resolved accepted entries."""

    margin: float = 0.05
    alpha: float = 0.05
    min_resolved: int = 30


@dataclass(frozen=True)
class DecayReport:
    """Live hit rate of accepted entries since the cutoff vs the CV estimate."""

    n_resolved: int
    hits: int
    live_hit_rate: float
    expected_hit_rate: float
    p_value: float
    decayed: bool

    def to_metadata(self) -> dict:
        """Flat dict for asset-check metadata."""
        return {k: (float(v) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def performance_decay(accepted: pd.Series, labels: pd.DataFrame, cutoff: pd.Timestamp,
                      expected_hit_rate: float, as_of: pd.Timestamp,
                      thresholds: DecayThresholds = DecayThresholds()) -> DecayReport:
    """Hit rate of entries accepted on/after ``cutoff`` whose labels resolved by ``as_of``.

    Args:
        accepted: bool Series on ``(date, pair_id)``: True where an entry candidate was accepted
            (e.g. signals ``entry_zone & ml_accept``).
        labels: ``EntryLabels.to_frame`` (``label``, ``label_end``) on ``(date, pair_id)``.
        cutoff: the model's cutoff (its training labels all ended before it).
        expected_hit_rate: the model's CV estimate (``cv_precision_at_threshold``).
        as_of: only labels with ``label_end <= as_of`` count.
    """
    if not np.isfinite(expected_hit_rate) or not 0.0 < expected_hit_rate < 1.0:
        raise ValueError(f"expected_hit_rate must be in (0, 1), got {expected_hit_rate}; pass the "
                         "champion's cv_precision_at_threshold")
    joined = labels.reindex(accepted.index[accepted.to_numpy(dtype=bool)])
    dates = joined.index.get_level_values("date")
    done = joined["label"].notna() & (joined["label_end"] <= as_of) & (dates >= pd.Timestamp(cutoff))
    outcome = joined.loc[done, "label"].to_numpy(dtype=np.float64)
    n, hits = len(outcome), int(outcome.sum())
    if n == 0:
        return DecayReport(0, 0, float("nan"), float(expected_hit_rate), 1.0, False)
    p_value = float(stats.binomtest(hits, n, expected_hit_rate, alternative="less").pvalue)
    live = hits / n
    decayed = (n >= thresholds.min_resolved and p_value < thresholds.alpha
               and live <= expected_hit_rate - thresholds.margin)
    return DecayReport(n, hits, live, float(expected_hit_rate), p_value, bool(decayed))


def should_retrain(feature_drift: DriftReport | None, decay: DecayReport | None) -> tuple[bool, str]:
    """(retrain?, reason) from the latest drift and decay reports (None = not evaluated)."""
    reasons = []
    if feature_drift is not None and feature_drift.breached:
        reasons.append(f"feature drift in {', '.join(feature_drift.breached_features)}")
    if decay is not None and decay.decayed:
        reasons.append(f"live hit rate {decay.live_hit_rate:.3f} over {decay.n_resolved} resolved entries "
                       f"below CV estimate {decay.expected_hit_rate:.3f} (binomial p={decay.p_value:.3g})")
    if reasons:
        return True, "; ".join(reasons)
    return False, "no feature drift and no performance decay"
