"""Drift of the entry filter's inputs and decay of its live performance, and the retrain rule.

``feature_drift`` compares each feature's distribution in a reference window (the champion's
training data: feature rows dated before its cutoff) with a recent window, by the population
stability index (PSI, on decile bins of the reference) and the two-sample Kolmogorov-Smirnov test.
A feature breaches when its PSI reaches ``DriftThresholds.psi`` or when its KS statistic reaches
``ks_statistic`` with a p-value below ``ks_alpha`` (both, so a tiny but "significant" shift on a
large sample does not trigger alone), AND its PSI exceeds the 99th percentile of the PSIs of every
slice of the reference as long as the recent window. Rolling-window features (market volatility,
leg correlation) are strongly autocorrelated: a 60-day window holds only a few independent values,
so on a stationary synthetic market raw PSI/KS flagged 9 of 15 features; the slice null asks
instead whether now is more unusual than the training history's own windows were.

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
        null_quantile, min_null_windows: a feature breaches only if its PSI also exceeds this
            quantile of the PSIs of every reference slice as long (in dates) as the recent window
            (``window_psi_quantile``); skipped when the reference has fewer such slices.
        exclude: features not judged; ``days_since_trade_start`` is a clock by construction.
    """

    psi: float = 0.25
    ks_statistic: float = 0.1
    ks_alpha: float = 0.01
    bins: int = 10
    min_samples: int = 50
    min_breaching_features: int = 1
    null_quantile: float = 0.99
    min_null_windows: int = 20
    exclude: tuple[str, ...] = ("days_since_trade_start",)


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


def _edges(reference: np.ndarray, bins: int) -> np.ndarray:
    return np.unique(np.quantile(reference, np.linspace(0.0, 1.0, bins + 1)[1:-1]))


def _psi(shares: np.ndarray, ref_share: np.ndarray) -> np.ndarray:
    """PSI of each row of bin ``shares`` against ``ref_share`` (shares floored at 1e-4)."""
    new, ref = np.maximum(shares, 1e-4), np.maximum(ref_share, 1e-4)
    return np.sum((new - ref) * np.log(new / ref), axis=-1)


def population_stability_index(reference: np.ndarray, recent: np.ndarray, bins: int = 10) -> float:
    """PSI of ``recent`` against ``reference`` on the reference's quantile bins (finite values only).

    Empty bins get a share of 1e-4 so the logarithm stays finite.
    """
    edges = _edges(reference, bins)
    ref_counts = np.bincount(np.searchsorted(edges, reference, side="right"), minlength=len(edges) + 1)
    new_counts = np.bincount(np.searchsorted(edges, recent, side="right"), minlength=len(edges) + 1)
    return float(_psi(new_counts / len(recent), ref_counts / len(reference)))


def window_psi_quantile(reference: np.ndarray, dates: np.ndarray, window: int,
                        limits: DriftThresholds) -> float:
    """``limits.null_quantile`` of the PSI of every ``window``-date slice of the reference against
    the whole reference: how far a window of that length strays by chance when values are serially
    correlated (rolling-window features). NaN if fewer than ``limits.min_null_windows`` slices.

    Args:
        reference: finite reference values; dates: their dates (same length), any order.
        window: number of distinct dates of the recent window.
    """
    days, codes = np.unique(dates, return_inverse=True)
    if len(days) - window + 1 < limits.min_null_windows:
        return float("nan")
    edges = _edges(reference, limits.bins)
    bins = np.searchsorted(edges, reference, side="right")
    counts = np.zeros((len(days), len(edges) + 1))
    np.add.at(counts, (codes.ravel(), bins), 1.0)
    cumulative = np.vstack([np.zeros((1, counts.shape[1])), np.cumsum(counts, axis=0)])
    windows = cumulative[window:] - cumulative[:-window]
    totals = windows.sum(axis=1)
    keep = totals >= limits.min_samples
    if keep.sum() < limits.min_null_windows:
        return float("nan")
    psi = _psi(windows[keep] / totals[keep, None], counts.sum(axis=0) / len(reference))
    return float(np.quantile(psi, limits.null_quantile))


def _finite(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Finite values of column ``name`` and their dates."""
    values = frame[name].to_numpy(dtype=np.float64)
    keep = np.isfinite(values)
    return values[keep], np.asarray(frame.index.get_level_values("date"))[keep]


def _feature_row(name: str, reference: pd.DataFrame, recent: pd.DataFrame, limits: DriftThresholds) -> dict:
    (ref, ref_dates), (new, new_dates) = _finite(reference, name), _finite(recent, name)
    row = {"n_reference": len(ref), "n_recent": len(new)}
    if min(len(ref), len(new)) < limits.min_samples:
        return {**row, "psi": np.nan, "psi_null": np.nan, "ks_statistic": np.nan, "ks_pvalue": np.nan,
                "breach": False}
    psi = population_stability_index(ref, new, limits.bins)
    null = window_psi_quantile(ref, ref_dates, len(np.unique(new_dates)), limits)
    ks = stats.ks_2samp(ref, new)
    shifted = psi >= limits.psi or (ks.statistic >= limits.ks_statistic and ks.pvalue < limits.ks_alpha)
    unusual = not np.isfinite(null) or psi > null
    return {**row, "psi": psi, "psi_null": null, "ks_statistic": float(ks.statistic),
            "ks_pvalue": float(ks.pvalue), "breach": bool(shifted and unusual)}


def feature_drift(reference: pd.DataFrame, recent: pd.DataFrame,
                  thresholds: DriftThresholds = DriftThresholds()) -> DriftReport:
    """PSI and KS per feature column of ``reference`` (``recent`` must have them all); both frames
    are indexed by ``(date, pair_id)`` like ``build_features``. Columns in ``thresholds.exclude``
    are skipped.

    Raises:
        KeyError: ``recent`` lacks a feature column of ``reference``.
    """
    missing = [c for c in reference.columns if c not in recent.columns]
    if missing:
        raise KeyError(f"recent feature window lacks columns {missing} of the reference window; build "
                       "both with pairs_platform.ml.features.build_features")
    names = [c for c in reference.columns if c not in thresholds.exclude]
    rows = {name: _feature_row(name, reference, recent, thresholds) for name in names}
    table = pd.DataFrame.from_dict(rows, orient="index",
                                   columns=["psi", "psi_null", "ks_statistic", "ks_pvalue", "n_reference",
                                            "n_recent", "breach"])
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
