"""Purged, embargoed splits never leak: no training event interval touches a test span or its embargo."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.ml.cv import PurgedTimeSeriesSplit


def _events(seed=0, n=400):
    rng = np.random.default_rng(seed)
    start = pd.DatetimeIndex(np.sort(rng.choice(pd.bdate_range("2020-01-01", periods=250), n)))
    end = start + pd.to_timedelta(rng.integers(0, 40, n), unit="D")
    order = rng.permutation(n)  # the splitter must not rely on input order
    return start[order], end[order]


@pytest.mark.parametrize("expanding", [True, False])
@pytest.mark.parametrize("embargo", [0, 7])
def test_no_train_event_overlaps_test_span_or_embargo(expanding, embargo):
    start, end = _events()
    splitter = PurgedTimeSeriesSplit(n_splits=4, embargo_days=embargo, expanding=expanding)
    splits = list(splitter.split(start, end))
    assert len(splits) == 4
    pad = pd.Timedelta(days=embargo)
    for train, test in splits:
        assert len(train) and len(test) and not set(train) & set(test)
        lo, hi = start[test].min() - pad, max(end[test].max(), start[test].max()) + pad
        overlap = (end[train] >= lo) & (start[train] <= hi)
        assert not overlap.any()
        if expanding:
            assert start[train].max() < start[test].min()
        # purging is not vacuous: some excluded event would have overlapped
        rest = np.setdiff1d(np.arange(len(start)), np.concatenate([train, test]))
        assert len(rest) > 0


def test_test_folds_are_disjoint_contiguous_date_blocks():
    start, end = _events(1)
    splits = list(PurgedTimeSeriesSplit(n_splits=5, embargo_days=5, expanding=False).split(start, end))
    tests = [t for _, t in splits]
    assert sorted(np.concatenate(tests).tolist()) == list(range(len(start)))  # K-fold covers everything
    for a, b in zip(tests, tests[1:]):
        assert start[a].max() < start[b].min()  # one date never in two folds


def test_same_date_events_stay_together_and_bad_input_rejected():
    start = pd.DatetimeIndex(["2020-01-01"] * 3 + ["2020-01-02"] * 3)
    with pytest.raises(ValueError, match="too few"):
        list(PurgedTimeSeriesSplit(n_splits=3).split(start, start))
    with pytest.raises(ValueError, match="NaT"):
        list(PurgedTimeSeriesSplit(n_splits=2).split(start, pd.DatetimeIndex([pd.NaT] * 6)))
    with pytest.raises(ValueError, match="before its start"):
        list(PurgedTimeSeriesSplit(n_splits=2).split(start, start - pd.Timedelta(days=1)))
    with pytest.raises(ValueError):
        PurgedTimeSeriesSplit(n_splits=1)
