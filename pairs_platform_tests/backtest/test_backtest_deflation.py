"""PSR, Sharpe confidence interval, DSR and PBO: golden values from the papers and hand computations."""
import itertools
import math

import numpy as np
import pytest
from scipy import stats

from pairs_platform.backtest import CostModel, RiskLimits
from pairs_platform.backtest.deflation import (
    deflated_sharpe_ratio, expected_max_sharpe, probabilistic_sharpe_ratio,
    probability_of_backtest_overfitting, sharpe_interval, sharpe_standard_error,
)
from pairs_platform.backtest.optimize import grid_search
from pairs_platform.backtest.search_deflation import deflate_search, trial_returns
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from synth_backtest_data import ols_selector, synthetic_prices


def test_dsr_matches_the_papers_worked_example():
    # Bailey and Lopez de Prado (2014), "The Deflated Sharpe Ratio", section 6: annual SR 2.5 over
    # 5 years of daily returns (T = 1250), N = 100 trials with annualized Sharpe variance 1/2,
    # skewness -3, kurtosis 10: E[max SR] = 0.1132 per day and DSR = 0.9004.
    sr, variance = 2.5 / math.sqrt(250), 0.5 / 250
    assert expected_max_sharpe(100, variance) == pytest.approx(0.1132, abs=5e-5)
    assert deflated_sharpe_ratio(sr, 1250, 100, variance, skew=-3.0, kurtosis=10.0) == pytest.approx(0.9004, abs=5e-4)


def test_psr_and_standard_error_by_hand():
    sr, n, g3, g4 = 0.1, 500, -0.5, 6.0
    se = math.sqrt((1 - g3 * sr + (g4 - 1) / 4 * sr ** 2) / (n - 1))
    assert sharpe_standard_error(sr, n, g3, g4) == pytest.approx(se, rel=1e-12)
    assert probabilistic_sharpe_ratio(sr, n, g3, g4, 0.05) == pytest.approx(stats.norm.cdf(0.05 / se), rel=1e-12)
    # normal returns: Lo (2002)'s iid standard error sqrt((1 + SR^2 / 2) / T)
    assert sharpe_standard_error(sr, n) == pytest.approx(math.sqrt((1 + sr ** 2 / 2) / (n - 1)), rel=1e-12)
    assert expected_max_sharpe(1, 0.01) == 0.0  # one trial: nothing to deflate
    with pytest.raises(ValueError, match="kurtosis"):
        sharpe_standard_error(2.0, 100, skew=5.0, kurtosis=1.0)


def test_sharpe_interval_covers_the_truth_at_its_level():
    rng = np.random.default_rng(0)
    true_daily = 0.05
    draws = rng.standard_t(5, (400, 500)) * math.sqrt(3 / 5) * 0.01 + true_daily * 0.01
    inside = [sharpe_interval(d, 0.9, periods_per_year=1.0) for d in draws]
    coverage = np.mean([i["sharpe_low"] <= true_daily <= i["sharpe_high"] for i in inside])
    assert 0.85 <= coverage <= 0.95


def _pbo_by_loops(m, s):
    """Independent CSCV: explicit loops over the splits (the paper's algorithm, step by step)."""
    blocks = np.array_split(np.arange(m.shape[0]), s)
    logits = []
    for train in itertools.combinations(range(s), s // 2):
        rows_in = np.concatenate([blocks[i] for i in train])
        rows_out = np.concatenate([blocks[i] for i in range(s) if i not in train])
        sr = lambda rows: m[rows].mean(0) / m[rows].std(0, ddof=1)  # noqa: E731
        best = int(np.argmax(sr(rows_in)))
        out = sr(rows_out)
        rank = stats.rankdata(out)[best]
        omega = rank / (m.shape[1] + 1)
        logits.append(math.log(omega / (1 - omega)))
    return float(np.mean(np.array(logits) <= 0))


def test_pbo_equals_the_loop_implementation_and_the_extremes():
    rng = np.random.default_rng(3)
    noise = rng.normal(0, 0.01, (480, 12))
    report = probability_of_backtest_overfitting(noise, 8)
    assert report.n_combinations == 70
    assert report.pbo == pytest.approx(_pbo_by_loops(noise, 8))
    skilled = noise + np.r_[0.004, np.zeros(11)]  # trial 0 is better in every block
    assert probability_of_backtest_overfitting(skilled, 8).pbo == 0.0
    pbos = [probability_of_backtest_overfitting(rng.normal(0, 0.01, (480, 20)), 8).pbo for _ in range(20)]
    assert 0.3 < np.mean(pbos) < 0.7  # pure noise: the in-sample winner is a coin flip out of sample
    with pytest.raises(ValueError, match="even"):
        probability_of_backtest_overfitting(noise, 7)


def test_deflate_search_reports_dsr_and_pbo():
    prices = synthetic_prices(900, 6, seed=11)
    pairs = [("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3"), ("EQ:S4", "EQ:S5")]
    schedule = build_pair_schedule(prices, walk_forward_windows(prices.index, 200, 120), ols_selector(pairs))
    options = dict(costs=CostModel(), limits=RiskLimits(max_drawdown=0.1))
    result = grid_search(prices, schedule, {"entry_z": [1.0, 1.5, 2.0], "exit_z": [0.0, 0.5]}, **options)
    returns = trial_returns(prices, schedule, result.candidates, **options)
    # the grid's equity is the search's own: the per-trial full-period Sharpe matches its trials table
    ann = returns.mean() / returns.std(ddof=1) * math.sqrt(252)
    np.testing.assert_allclose(ann.to_numpy(), result.trials["sharpe"].to_numpy(), rtol=1e-6)
    out = deflate_search(result, returns, n_splits=8)
    assert out["n_trials"] == len(result.candidates)
    assert 0.0 <= out["deflated_sharpe_ratio"] <= 1.0 and 0.0 <= out["pbo"] <= 1.0
    assert out["oos_sharpe"] == pytest.approx(result.headline["sharpe"], rel=1e-6)
    # deflating by more trials can only lower the DSR
    more = deflated_sharpe_ratio(out["oos_sharpe"] / math.sqrt(252), len(result.oos.returns), 1000,
                                 (out["trial_sharpe_std"] / math.sqrt(252)) ** 2)
    assert more <= out["deflated_sharpe_ratio"] + 1e-12
    with pytest.raises(ValueError, match="trial columns"):
        deflate_search(result, returns.iloc[:, :2])
