"""Deflating optimized Sharpe ratios: PSR, Sharpe confidence intervals, DSR and PBO.

All Sharpe ratios here are per period (not annualized) unless a function says otherwise: for daily
returns divide an annual Sharpe by ``sqrt(252)``. Kurtosis is the plain (not excess) fourth
standardized moment: 3 for normal returns.

- :func:`sharpe_standard_error` / :func:`sharpe_interval`: the asymptotic standard error of the
  estimated Sharpe ratio, Lo (2002) for iid normal returns generalized to skewed, fat-tailed
  returns by Mertens (2002): ``sqrt((1 - g3 SR + (g4 - 1) / 4 SR^2) / (T - 1))``.
- :func:`probabilistic_sharpe_ratio`: Bailey and Lopez de Prado (2012), the probability that the
  true Sharpe exceeds a benchmark ``sr_benchmark`` given the estimate, T, skewness and kurtosis.
- :func:`expected_max_sharpe` / :func:`deflated_sharpe_ratio`: Bailey and Lopez de Prado (2014):
  the PSR against the Sharpe the best of N unskilled trials is expected to reach.
- :func:`probability_of_backtest_overfitting`: Bailey, Borwein, Lopez de Prado and Zhu (2017),
  combinatorially symmetric cross-validation (CSCV) of a (T x N trials) returns matrix.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

EULER_GAMMA = 0.5772156649015329


def sharpe_moments(returns) -> tuple[float, float, float, int]:
    """(Sharpe per period, skewness, kurtosis (normal = 3), T) of a returns vector, NaNs dropped."""
    r = np.asarray(returns, dtype=np.float64)
    r = r[np.isfinite(r)]
    if r.size < 3:
        raise ValueError(f"need at least 3 finite returns to estimate a Sharpe ratio, got {r.size}")
    std = r.std(ddof=1)
    if not std > 0:
        raise ValueError("returns have zero variance: the Sharpe ratio is undefined (a flat book?)")
    return float(r.mean() / std), float(stats.skew(r)), float(stats.kurtosis(r, fisher=False)), int(r.size)


def sharpe_standard_error(sharpe: float, n_obs: int, skew: float = 0.0, kurtosis: float = 3.0) -> float:
    """Asymptotic standard error of a per-period Sharpe estimate (Lo 2002; Mertens 2002)."""
    if n_obs < 2:
        raise ValueError(f"n_obs must be >= 2, got {n_obs}")
    var = 1.0 - skew * sharpe + (kurtosis - 1.0) / 4.0 * sharpe ** 2
    if not var > 0:
        raise ValueError(f"skew {skew} / kurtosis {kurtosis} give a non-positive Sharpe variance; "
                         "check the moments (kurtosis is the plain one, 3 for normal returns)")
    return math.sqrt(var / (n_obs - 1.0))


def sharpe_interval(returns, level: float = 0.95, periods_per_year: float = 252.0) -> dict:
    """Annualized Sharpe of ``returns`` with its non-normal asymptotic confidence interval.

    Returns ``{"sharpe", "sharpe_se", "sharpe_low", "sharpe_high", "level"}`` (annualized by
    ``sqrt(periods_per_year)``; the interval is symmetric, estimate +- z * SE).
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    sr, g3, g4, n = sharpe_moments(returns)
    se = sharpe_standard_error(sr, n, g3, g4)
    z = float(stats.norm.ppf(0.5 + level / 2.0))
    scale = math.sqrt(periods_per_year)
    return {"sharpe": sr * scale, "sharpe_se": se * scale, "sharpe_low": (sr - z * se) * scale,
            "sharpe_high": (sr + z * se) * scale, "level": level}


def probabilistic_sharpe_ratio(sharpe: float, n_obs: int, skew: float = 0.0, kurtosis: float = 3.0,
                               sr_benchmark: float = 0.0) -> float:
    """PSR: P(true Sharpe > ``sr_benchmark``), all per period (Bailey and Lopez de Prado 2012)."""
    se = sharpe_standard_error(sharpe, n_obs, skew, kurtosis)
    return float(stats.norm.cdf((sharpe - sr_benchmark) / se))


def expected_max_sharpe(n_trials: int, trial_sharpe_variance: float) -> float:
    """Expected maximum of ``n_trials`` unskilled Sharpe estimates of the given variance (per period).

    ``sqrt(V) * ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e)))`` (False Strategy
    theorem); 0 for a single trial.
    """
    if n_trials < 1:
        raise ValueError(f"n_trials must be >= 1, got {n_trials}")
    if trial_sharpe_variance < 0:
        raise ValueError(f"trial_sharpe_variance must be >= 0, got {trial_sharpe_variance}")
    if n_trials == 1:
        return 0.0
    z1 = stats.norm.ppf(1.0 - 1.0 / n_trials)
    z2 = stats.norm.ppf(1.0 - 1.0 / (n_trials * math.e))
    return float(math.sqrt(trial_sharpe_variance) * ((1.0 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def deflated_sharpe_ratio(sharpe: float, n_obs: int, n_trials: int, trial_sharpe_variance: float,
                          skew: float = 0.0, kurtosis: float = 3.0) -> float:
    """DSR: the PSR against :func:`expected_max_sharpe` (Bailey and Lopez de Prado 2014), per period.

    Read it as the probability that the selected strategy's true Sharpe is positive after
    accounting for having picked the best of ``n_trials``; >= 0.95 is the usual bar.
    """
    benchmark = expected_max_sharpe(n_trials, trial_sharpe_variance)
    return probabilistic_sharpe_ratio(sharpe, n_obs, skew, kurtosis, sr_benchmark=benchmark)


def _block_sums(returns: np.ndarray, n_splits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row block: (counts (S,), sums (S, N), sums of squares (S, N))."""
    block = np.repeat(np.arange(n_splits), returns.shape[0] // n_splits)
    block = np.r_[block, np.full(returns.shape[0] - block.size, n_splits - 1)]  # remainder -> last
    onehot = (block[None, :] == np.arange(n_splits)[:, None]).astype(np.float64)
    return onehot.sum(axis=1), onehot @ returns, onehot @ returns ** 2


def _sharpe_from_sums(count: np.ndarray, total: np.ndarray, squares: np.ndarray) -> np.ndarray:
    mean = total / count[:, None]
    var = (squares - count[:, None] * mean ** 2) / (count[:, None] - 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var > 0, mean / np.sqrt(np.maximum(var, 0.0)), 0.0)


@dataclass(frozen=True)
class OverfittingReport:
    """CSCV outcome: ``pbo`` = share of splits whose in-sample best trial ranks in the bottom half
    out of sample; ``logits`` per split; ``n_splits`` S, ``n_combinations`` C(S, S/2); the mean
    out-of-sample rank ``mean_oos_rank`` (0..1) of the in-sample winner."""

    pbo: float
    logits: np.ndarray
    n_splits: int
    n_combinations: int
    mean_oos_rank: float


def probability_of_backtest_overfitting(returns, n_splits: int = 16) -> OverfittingReport:
    """Probability of backtest overfitting by CSCV (Bailey, Borwein, Lopez de Prado and Zhu 2017).

    ``returns``: (T, N) per-period returns of N trials on the same dates. The T rows are cut into
    ``n_splits`` (even) contiguous blocks; for each of the C(S, S/2) ways of choosing half of the
    blocks as in-sample, the trial with the best in-sample Sharpe is ranked among all trials by its
    Sharpe on the other half: ``omega = rank / (N + 1)``, ``logit = ln(omega / (1 - omega))``, and
    PBO is the share of logits <= 0. Vectorized: block sums are combined by one matrix product.
    """
    m = np.asarray(returns, dtype=np.float64)
    if m.ndim != 2 or m.shape[1] < 2:
        raise ValueError(f"returns must be a (T, N >= 2 trials) matrix, got shape {m.shape}")
    if n_splits < 2 or n_splits % 2:
        raise ValueError(f"n_splits must be an even number >= 2, got {n_splits}")
    if m.shape[0] < 2 * n_splits:
        raise ValueError(f"{m.shape[0]} rows are too few for {n_splits} splits of >= 2 rows each; "
                         "use fewer splits or more history")
    m = np.nan_to_num(m, nan=0.0)
    count, total, squares = _block_sums(m, n_splits)
    combos = np.array(list(itertools.combinations(range(n_splits), n_splits // 2)))
    train = np.zeros((len(combos), n_splits))
    train[np.arange(len(combos))[:, None], combos] = 1.0
    test = 1.0 - train
    sr_in = _sharpe_from_sums(train @ count, train @ total, train @ squares)
    sr_out = _sharpe_from_sums(test @ count, test @ total, test @ squares)
    best = sr_in.argmax(axis=1)
    chosen = sr_out[np.arange(len(combos)), best]
    rank = (sr_out < chosen[:, None]).sum(axis=1) + 0.5 * ((sr_out == chosen[:, None]).sum(axis=1) - 1) + 1
    omega = rank / (m.shape[1] + 1.0)
    logits = np.log(omega / (1.0 - omega))
    return OverfittingReport(float(np.mean(logits <= 0.0)), logits, n_splits, len(combos),
                             float(np.mean(omega)))
