"""Promotion gate: identical folds for both specifications, label-permutation placebo, decision rules."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.ml.gate import GateData, GateEvaluation, ModelSpec, PromotionPolicy, decide, evaluate_gate

STUMP = ModelSpec("gradient_boosting", {"max_iter": 1, "max_leaf_nodes": 2})
CUTOFF = pd.Timestamp("2020-12-01")


@pytest.fixture(scope="module")
def data(samples):
    return GateData(samples.features, samples.labels, samples.label_end, CUTOFF)


def test_strong_challenger_beats_weak_champion_and_placebo(data):
    evaluation = evaluate_gate(ModelSpec("logistic"), STUMP, data)
    assert evaluation.challenger_auc > evaluation.champion_auc + 0.05
    assert evaluation.placebo_seeds == tuple(range(1000, 1020))
    assert max(evaluation.placebo_aucs) < 0.62 < evaluation.challenger_auc
    assert evaluation.placebo_p == pytest.approx(1 / 21)
    promoted, reason = decide(evaluation, True, PromotionPolicy())
    assert promoted and reason.startswith("beats champion")
    again = evaluate_gate(ModelSpec("logistic"), STUMP, data)
    assert again == evaluation  # fixed seeds: the gate is reproducible


def test_weak_challenger_rejected_by_margin(data):
    evaluation = evaluate_gate(STUMP, ModelSpec("logistic"), data)
    promoted, reason = decide(evaluation, True, PromotionPolicy())
    assert not promoted and reason.startswith("does not beat champion")


def test_same_spec_scores_identically_and_counts_as_refresh(data):
    evaluation = evaluate_gate(ModelSpec("logistic"), ModelSpec("logistic"), data)
    assert evaluation.same_spec and evaluation.champion_auc == evaluation.challenger_auc
    assert decide(evaluation, True, PromotionPolicy())[0]
    assert not decide(evaluation, True, PromotionPolicy(promote_refresh=False))[0]


def test_noise_labels_fail_the_placebo(samples):
    noise = pd.Series(np.random.default_rng(11).integers(0, 2, len(samples.labels)).astype(float),
                      index=samples.labels.index)
    evaluation = evaluate_gate(ModelSpec("logistic"), None, GateData(samples.features, noise,
                                                                     samples.label_end, CUTOFF))
    assert evaluation.placebo_p >= 0.05 and np.isnan(evaluation.champion_auc)
    promoted, reason = decide(evaluation, False, PromotionPolicy())
    assert not promoted and reason.startswith("fails placebo")


def test_first_challenger_promoted_when_it_passes_placebo():
    evaluation = GateEvaluation(0.7, float("nan"), (0.5,) * 20, tuple(range(20)), 1 / 21, 5, False)
    assert decide(evaluation, False, PromotionPolicy()) == (
        True, "no champion yet; passes placebo (AUC 0.7000, p=0.048)")


def test_policy_rejects_too_few_placebos():
    with pytest.raises(ValueError, match="n_placebo=10"):
        PromotionPolicy(n_placebo=10)
    with pytest.raises(ValueError, match="n_placebo=20 with placebo_alpha=0.01"):
        PromotionPolicy(placebo_alpha=0.01)
