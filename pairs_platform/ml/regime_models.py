"""Market regimes refit causally at every retrain cutoff: volatility quantiles, Gaussian mixture, HMM.

Three market features per day, from the price panel alone (each uses prices up to that day):

- ``log_vol``: log of the annualized ``vol_window``-day realized volatility of the equal-weight index;
- ``trend``: annualized mean daily index log return over ``trend_window`` days;
- ``corr``: implied average pairwise correlation over ``corr_window`` days,
  ``(var(index) - sum var_i / N^2) / ((sum sd_i)^2 - sum var_i) * N^2`` (equal weights).

``causal_regimes`` fits one model per cutoff ``c_i`` on the days strictly before ``c_i`` and labels
the days of ``[c_i, c_{i+1})`` with it, so the label of day ``t`` depends only on prices up to ``t``
(days before the first cutoff are ``UNKNOWN``). Methods:

- ``"volatility"``: ``regimes.fit_volatility_regimes`` refit at each cutoff (quantile thresholds);
- ``"gmm"``: scikit-learn ``GaussianMixture`` on the standardized features, each day labelled by
  its own features;
- ``"hmm"``: hmmlearn ``GaussianHMM`` fitted by EM; each day labelled by the argmax of the FILTERED
  state probabilities P(state_t | features_1..t) from a forward pass (never the smoothed ones, which
  use later days).

Mixture / HMM states are mapped to calm / normal / turbulent by the rank of their mean ``log_vol``,
so the output contract is the one of ``regimes.detect_regimes`` and ``regime_allows_entry`` applies.
A segment whose fit window has fewer than ``min_observations`` complete days is ``UNKNOWN``
(fail closed: entries are blocked). Docs: docs/ml.md.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd
from scipy.stats import multivariate_normal
from threadpoolctl import threadpool_limits

from pairs_platform.ml.features import equal_weight_index_returns, log_returns
from pairs_platform.conventions import TRADING_DAYS_PER_YEAR
from pairs_platform.ml.regimes import UNKNOWN, fit_volatility_regimes
from pairs_platform.ml.rolling import rolling_std

METHODS = ("volatility", "gmm", "hmm")
REGIME_FEATURES = ("log_vol", "trend", "corr")


@dataclass(frozen=True)
class RegimeModelConfig:
    """How ``causal_regimes`` builds features and fits its models.

    Attributes:
        method: ``"volatility"`` | ``"gmm"`` | ``"hmm"``.
        n_states: mixture components / hidden states (>= 2), mapped onto calm..turbulent.
        vol_window, trend_window, corr_window: trailing windows of the three features, in bars.
        min_observations: complete feature days needed before a cutoff to fit a model.
        seed: random_state of the mixture / HMM (fixed for reproducibility).
        n_iter: EM iterations of the HMM.
        n_restarts: EM starts (seeds ``seed .. seed + n_restarts - 1``) of the mixture and the HMM;
            the best log-likelihood wins (a single EM start often ends in a degenerate optimum).
    """

    method: str = "gmm"
    n_states: int = 3
    vol_window: int = 20
    trend_window: int = 60
    corr_window: int = 60
    min_observations: int = 120
    seed: int = 0
    n_iter: int = 100
    n_restarts: int = 5

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"RegimeModelConfig.method {self.method!r} is unknown; choose one of {METHODS}")
        if self.n_states < 2:
            raise ValueError(f"RegimeModelConfig.n_states must be >= 2, got {self.n_states}")


def regime_features(prices: pd.DataFrame, config: RegimeModelConfig = RegimeModelConfig()) -> pd.DataFrame:
    """Date-indexed ``log_vol``, ``trend``, ``corr`` (NaN until their windows are full)."""
    returns = log_returns(prices)
    index = equal_weight_index_returns(returns)
    with np.errstate(all="ignore"):
        vol = rolling_std(index[:, None], config.vol_window)[:, 0] * np.sqrt(TRADING_DAYS_PER_YEAR)
        log_vol = np.log(vol)
        trend = pd.Series(index).rolling(config.trend_window).mean().to_numpy() * TRADING_DAYS_PER_YEAR
        sd = rolling_std(returns, config.corr_window)
        var_index = rolling_std(index[:, None], config.corr_window)[:, 0] ** 2
        n = np.sum(np.isfinite(sd), axis=1)
        sum_var, sum_sd = np.nansum(sd ** 2, axis=1), np.nansum(sd, axis=1)
        cross = sum_sd ** 2 - sum_var
        corr = np.where((n > 1) & (cross > 0), (var_index * n ** 2 - sum_var) / cross, np.nan)
    return pd.DataFrame({"log_vol": log_vol, "trend": trend, "corr": corr}, index=prices.index)


@numba.njit(cache=True)
def _forward_filter(log_emission: np.ndarray, start: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """(T, S) filtered state probabilities P(s_t | x_1..t); a row of zeros in log_emission = no data."""
    rows, states = log_emission.shape
    out = np.empty((rows, states))
    belief = start.copy()
    for t in range(rows):
        if t > 0:
            belief = out[t - 1] @ transition
        likelihood = np.exp(log_emission[t] - log_emission[t].max())
        posterior = belief * likelihood
        out[t] = posterior / posterior.sum()
    return out


def _state_codes(mean_log_vol: np.ndarray) -> np.ndarray:
    """Regime code of each state: rank of its mean log volatility spread onto 0..2."""
    rank = np.argsort(np.argsort(mean_log_vol))
    return np.rint(rank * 2.0 / (len(rank) - 1)).astype(np.int64)


def _standardizer(train: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = train.std(axis=0)
    return train.mean(axis=0), np.where(scale > 0, scale, 1.0)


def _gmm_labels(train: np.ndarray, rows: np.ndarray, config: RegimeModelConfig) -> np.ndarray:
    from sklearn.mixture import GaussianMixture

    mean, scale = _standardizer(train)
    model = GaussianMixture(config.n_states, covariance_type="full", random_state=config.seed,
                            n_init=config.n_restarts)
    model.fit((train - mean) / scale)
    finite = np.isfinite(rows).all(axis=1)
    out = np.full(len(rows), UNKNOWN, dtype=np.int64)
    if finite.any():
        states = model.predict((rows[finite] - mean) / scale)
        out[finite] = _state_codes(model.means_[:, 0])[states]
    return out


def _hmm_labels(train: np.ndarray, history: np.ndarray, n_segment: int,
                config: RegimeModelConfig) -> np.ndarray:
    """Labels of the last ``n_segment`` rows of ``history`` (all days up to the segment end)."""
    from hmmlearn.hmm import GaussianHMM

    mean, scale = _standardizer(train)
    x = (train - mean) / scale
    fits = [GaussianHMM(config.n_states, covariance_type="full", n_iter=config.n_iter,
                        random_state=config.seed + k).fit(x) for k in range(config.n_restarts)]
    model = max(fits, key=lambda fitted: fitted.score(x))
    z = (history - mean) / scale
    finite = np.isfinite(z).all(axis=1)
    log_emission = np.zeros((len(z), config.n_states))
    for s in range(config.n_states):  # loop over the few states, not over bars
        log_emission[finite, s] = multivariate_normal(model.means_[s], model.covars_[s],
                                                      allow_singular=True).logpdf(z[finite])
    filtered = _forward_filter(log_emission, model.startprob_, model.transmat_)[-n_segment:]
    codes = _state_codes(model.means_[:, 0])[np.argmax(filtered, axis=1)]
    return np.where(finite[-n_segment:], codes, UNKNOWN)


def _segment_labels(prices: pd.DataFrame, features: pd.DataFrame, lo: int, hi: int,
                    config: RegimeModelConfig) -> np.ndarray | None:
    """Labels of rows [lo, hi) from a model fitted on rows before ``lo``; None = too little data."""
    train = features.iloc[:lo].dropna().to_numpy()
    if len(train) < config.min_observations:
        return None
    if config.method == "volatility":
        detector = fit_volatility_regimes(prices.iloc[:lo], prices.index[lo - 1], config.vol_window,
                                          min_observations=config.min_observations)
        return detector.predict(prices.iloc[:hi]).to_numpy()[lo:]
    if config.method == "gmm":
        return _gmm_labels(train, features.iloc[lo:hi].to_numpy(), config)
    return _hmm_labels(train, features.iloc[:hi].to_numpy(), hi - lo, config)


def causal_regimes(prices: pd.DataFrame, cutoffs: list[pd.Timestamp],
                   config: RegimeModelConfig = RegimeModelConfig()) -> pd.Series:
    """Date-indexed regime codes (``regimes.REGIME_NAMES``), one model per cutoff (module doc).

    Args:
        prices: wide prices (sorted DatetimeIndex), as for ``regimes.detect_regimes``.
        cutoffs: retrain cutoffs, e.g. ``walkforward.retrain_cutoffs``; model ``i`` is fitted on
            the days strictly before ``cutoffs[i]`` and labels ``[cutoffs[i], cutoffs[i+1])``.
        config: method and windows.

    Returns:
        int64 Series named ``regime`` on ``prices.index``; ``UNKNOWN`` before the first cutoff,
        where a feature is missing, or where a segment had too little history to fit.
    """
    if not isinstance(prices.index, pd.DatetimeIndex) or not prices.index.is_monotonic_increasing:
        raise ValueError("prices must have a sorted DatetimeIndex named 'date' (see docs/architecture.md)")
    features = regime_features(prices, config) if config.method != "volatility" else \
        regime_features(prices, config)[["log_vol"]]
    bounds = np.unique(prices.index.searchsorted(pd.DatetimeIndex(cutoffs), side="left"))
    bounds = [int(b) for b in bounds if 0 < b < len(prices)] + [len(prices)]
    labels = np.full(len(prices), UNKNOWN, dtype=np.int64)
    for lo, hi in zip(bounds[:-1], bounds[1:]):  # one fit per cutoff, not per bar
        with threadpool_limits(limits=1):  # tiny fits: BLAS/OpenMP threads only thrash a shared host
            segment = _segment_labels(prices, features, lo, hi, config)
        if segment is not None:
            labels[lo:hi] = segment
    return pd.Series(labels, index=prices.index, name="regime")
