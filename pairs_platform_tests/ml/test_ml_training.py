"""Entry-filter training: learns a planted signal, ignores everything after the cutoff, deterministic."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.ml.training import TrainedFilter, train_entry_filter

CUTOFF = pd.Timestamp("2020-10-01")
FAST = {"gradient_boosting": {"max_iter": 40}, "random_forest": {"n_estimators": 30}, "logistic": {}}


def _train(samples, model="logistic", **kwargs):
    return train_entry_filter(samples.features, samples.labels, samples.label_end, CUTOFF, model=model,
                              seed=0, model_params=FAST[model], **kwargs)


@pytest.mark.parametrize("model", ["logistic", "gradient_boosting", "random_forest"])
def test_learns_the_planted_signal(samples, model):
    trained = _train(samples, model)
    assert isinstance(trained, TrainedFilter)
    assert trained.cv_metrics["cv_roc_auc"] > 0.7
    assert trained.cv_metrics["cv_folds_scored"] == 5
    # accepting by the filter raises the hit rate above the base rate
    assert trained.cv_metrics["cv_precision_at_threshold"] > trained.cv_metrics["cv_base_rate"] + 0.05
    assert trained.feature_names == ("signal", "noise_vol", "irrelevant")
    proba = trained.predict_proba(samples.features)
    assert proba.index.equals(samples.features.index) and proba.between(0, 1).all()


def test_trains_only_on_labels_known_before_cutoff(samples):
    trained = _train(samples)
    known = (samples.label_end < CUTOFF).sum()
    assert trained.cv_metrics["n_train"] == known < len(samples.labels)
    assert pd.Timestamp(trained.params["train_end"]) < CUTOFF


@pytest.mark.parametrize("model", ["logistic", "gradient_boosting"])
def test_changing_samples_after_cutoff_leaves_model_identical(samples, model):
    base = _train(samples, model)
    late = (samples.label_end >= CUTOFF).to_numpy()
    features, labels = samples.features.copy(), samples.labels.copy()
    rng = np.random.default_rng(9)
    features.loc[late] = rng.normal(0, 50, (int(late.sum()), features.shape[1]))
    labels.loc[late] = 1.0 - labels.loc[late]
    extra = features.iloc[:3].copy()  # unlabelled feature rows are ignored too
    extra.index = pd.MultiIndex.from_tuples([(pd.Timestamp("2019-06-03"), f"x{i}") for i in range(3)],
                                            names=["date", "pair_id"])
    changed = train_entry_filter(pd.concat([extra, features]).sample(frac=1.0, random_state=1), labels,
                                 samples.label_end, CUTOFF, model=model, seed=0, model_params=FAST[model])
    probe = samples.features
    np.testing.assert_array_equal(base.predict_proba(probe), changed.predict_proba(probe))
    assert base.cv_metrics == changed.cv_metrics and base.threshold == changed.threshold


def test_same_seed_same_model_and_threshold_override(samples):
    a, b = _train(samples, "gradient_boosting"), _train(samples, "gradient_boosting")
    np.testing.assert_array_equal(a.predict_proba(samples.features), b.predict_proba(samples.features))
    assert a.threshold == pytest.approx(a.cv_metrics["train_base_rate"])
    fixed = _train(samples, threshold=0.8)
    assert fixed.threshold == 0.8
    assert fixed.cv_metrics["cv_acceptance_rate"] < a.cv_metrics["cv_acceptance_rate"]
    assert fixed.accepts(samples.features).mean() < 0.5


def test_errors_name_the_problem(samples):
    with pytest.raises(ValueError, match="needs >= 50 resolved candidates"):
        train_entry_filter(samples.features, samples.labels, samples.label_end, pd.Timestamp("2020-01-10"))
    with pytest.raises(ValueError, match="unknown entry-filter model"):
        train_entry_filter(samples.features, samples.labels, samples.label_end, CUTOFF, model="svm")
    trained = _train(samples)
    with pytest.raises(KeyError, match="signal"):
        trained.predict_proba(samples.features.drop(columns="signal"))
    with pytest.raises(KeyError, match="no feature row"):
        train_entry_filter(samples.features.iloc[10:], samples.labels, samples.label_end, CUTOFF)


def test_infinite_feature_values_are_treated_as_missing(samples):
    features = samples.features.copy()
    features.iloc[::7, 0] = np.inf  # e.g. an infinite half-life of a non-reverting spread
    trained = train_entry_filter(features, samples.labels, samples.label_end, CUTOFF, model="logistic")
    proba = trained.predict_proba(features)
    assert np.isfinite(proba).all()
    assert trained.cv_metrics["cv_roc_auc"] > 0.6
