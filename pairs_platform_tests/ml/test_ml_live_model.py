"""The model in use: walk-forward history, the champion after its cutoff; its drift and decay reports."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from pairs_platform.ml.drift import DriftThresholds
from pairs_platform.ml.live_model import champion_segments, drift_report, model_in_use, signals_decay
from pairs_platform.ml.training import train_entry_filter
from pairs_platform.ml.walkforward import FilterSegment, predict_walk_forward

DATES = pd.bdate_range("2020-01-01", periods=300, name="date")


def _features(shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    index = pd.MultiIndex.from_product([DATES, ["a", "b", "c", "d"]], names=["date", "pair_id"])
    values = rng.normal(size=(len(index), 4))
    values[index.get_level_values("date") >= DATES[-60], :3] += shift
    return pd.DataFrame(values, index=index, columns=["f0", "f1", "f2", "f3"])


def _train(features: pd.DataFrame, cutoff: pd.Timestamp, sign: float = 1.0):
    rng = np.random.default_rng(5)
    dates = features.index.get_level_values("date")
    label = pd.Series((sign * features["f0"] + 0.5 * rng.normal(size=len(features)) > 0).astype(float),
                      index=features.index)
    end = pd.Series(dates + pd.Timedelta(days=5), index=features.index)
    return train_entry_filter(features, label, end, cutoff, model="logistic", min_samples=50)


@pytest.fixture(scope="module")
def models():
    features = _features()
    early = _train(features, DATES[100])
    champion = _train(features, DATES[200], sign=-1.0)  # opposite verdicts: visible where it applies
    return features, early, champion


def test_without_champion_the_walk_forward_segments_are_unchanged(models):
    _, early, _ = models
    segments = [FilterSegment(DATES[100], pd.Timestamp.max, early, 10)]
    assert champion_segments(segments, None) == segments
    assert model_in_use(segments, None) is early
    assert model_in_use([FilterSegment(DATES[0], pd.Timestamp.max, None, 0)], None) is None


def test_champion_scores_every_session_from_its_cutoff_and_history_is_kept(models):
    features, early, champion = models
    segments = [FilterSegment(DATES[100], pd.Timestamp.max, early, 10)]
    used = champion_segments(segments, champion)
    assert [(s.start, s.end) for s in used] == [(DATES[100], DATES[200]), (DATES[200], pd.Timestamp.max)]
    assert used[1].model is champion and model_in_use(segments, champion) is champion
    verdict = predict_walk_forward(used, features)
    walk_forward = predict_walk_forward(segments, features)
    dates = features.index.get_level_values("date")
    before, after = dates < DATES[200], dates >= DATES[200]
    pd.testing.assert_frame_equal(verdict[before], walk_forward[before])
    np.testing.assert_allclose(verdict.loc[after, "proba"], champion.predict_proba(features[after]).to_numpy())
    assert not np.allclose(verdict.loc[after, "proba"], walk_forward.loc[after, "proba"])


def test_drift_report_uses_the_models_cutoff_as_reference(models):
    _, _, champion = models
    shifted = drift_report(_features(shift=2.0), champion, DriftThresholds(min_breaching_features=3))
    assert shifted.breached and set(shifted.breached_features) == {"f0", "f1", "f2"}
    assert not drift_report(_features(), champion, DriftThresholds(min_breaching_features=3)).breached


def test_signals_decay_counts_accepted_entries_after_the_cutoff(models):
    features, _, champion = models
    signals = features.reset_index()[["date", "pair_id"]].assign(entry_zone=True, ml_accept=True)
    dates = features.index.get_level_values("date")
    labels = pd.DataFrame({"label": 0.0, "label_end": dates + pd.Timedelta(days=3)}, index=features.index)
    labels.loc[dates < DATES[200], "label"] = 1.0  # hits before the cutoff do not count
    report = signals_decay(signals, labels, champion)
    assert report is not None and report.decayed and report.hits == 0
    assert report.n_resolved == int(((dates >= DATES[200]) & (labels["label_end"] <= DATES[-1])).sum())
    assert signals_decay(signals, labels.assign(label=1.0), champion).decayed is False
    no_precision = replace(champion, cv_metrics={**champion.cv_metrics, "cv_precision_at_threshold": np.nan})
    assert signals_decay(signals, labels, no_precision) is None
