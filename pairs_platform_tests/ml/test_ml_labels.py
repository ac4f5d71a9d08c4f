"""Entry labels hand-checked on a tiny (T, K) case."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.ml.labels import (HORIZON, REVERTED, STOPPED, UNRESOLVED, WINDOW_END, entry_candidates,
                                      entry_labels)

# columns: a reverts, b (short side) stops, c leaves its window, d times out, e crosses the mean,
# f still open when the data end, g jumps straight past the stop (no candidate)
Z = np.array([
    #  a     b     c     d     e     f     g
    [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
    [2.5, -2.5, 2.5, 1.0, 2.2, 0.0, 4.5],
    [1.5, -3.0, 3.0, 2.1, -1.0, 0.0, 1.0],
    [0.4, -4.5, 3.1, 2.2, 0.0, 0.0, 0.0],
    [0.0, 0.0, 3.0, 2.3, 0.0, 0.0, 0.0],
    [0.0, 0.0, 3.0, 2.4, 0.0, 1.0, 0.0],
    [0.0, 0.0, 3.0, 2.4, 0.0, 2.6, 0.0],
    [0.0, 0.0, 3.0, 2.4, 0.0, 2.7, 0.0],
])
MASK = np.ones_like(Z, dtype=bool)
MASK[4:, 2] = False
DATES = pd.bdate_range("2024-01-01", periods=len(Z))
IDS = list("abcdefg")


def test_candidates_are_crossings_into_the_entry_zone():
    candidates = entry_candidates(Z, MASK, entry=2.0, stop=4.0)
    assert sorted(zip(*np.nonzero(candidates))) == [(1, 0), (1, 1), (1, 2), (1, 4), (2, 3), (6, 5)]
    assert not entry_candidates(Z, MASK & False, 2.0).any()


def test_outcomes_and_resolution_bars_by_hand():
    labels = entry_labels(Z, MASK, entry=2.0, exit=0.5, stop=4.0, horizon=3)
    frame = labels.to_frame(DATES, IDS).reset_index(level="date")
    assert frame.loc["a", "outcome"] == "reverted" and frame.loc["a", "bars_to_resolution"] == 2
    assert frame.loc["b", "outcome"] == "stopped" and frame.loc["b", "bars_to_resolution"] == 2
    assert frame.loc["c", "outcome"] == "window_end" and frame.loc["c", "label_end"] == DATES[3]
    assert frame.loc["d", "outcome"] == "horizon" and frame.loc["d", "label_end"] == DATES[5]
    assert frame.loc["e", "outcome"] == "reverted" and frame.loc["e", "label_end"] == DATES[2]
    assert frame.loc["f", "outcome"] == "unresolved" and pd.isna(frame.loc["f", "label_end"])
    assert "g" not in frame.index
    expected = {"a": 1.0, "b": 0.0, "c": 0.0, "d": 0.0, "e": 1.0}
    assert {k: frame.loc[k, "label"] for k in expected} == expected
    assert np.isnan(frame.loc["f", "label"])
    codes = labels.outcome[np.nonzero(labels.candidates)]
    assert sorted(codes.tolist()) == sorted([REVERTED, STOPPED, WINDOW_END, HORIZON, REVERTED, UNRESOLVED])


def test_label_ignores_values_after_its_resolution():
    base = entry_labels(Z, MASK, horizon=3)
    later = Z.copy()
    later[4:, 0] = 9.0  # a resolved on row 3
    later[4:, 1] = 0.0  # b resolved on row 3
    changed = entry_labels(later, MASK, horizon=3)
    for arr in ("label", "end_index", "outcome"):
        np.testing.assert_array_equal(getattr(base, arr)[:, :2], getattr(changed, arr)[:, :2])


def test_longer_data_resolves_the_open_candidate():
    extended = np.vstack([Z, np.zeros((1, Z.shape[1]))])
    mask = np.vstack([MASK, MASK[-1:]])
    labels = entry_labels(extended, mask, horizon=3)
    assert labels.label[6, 5] == 1.0 and labels.end_index[6, 5] == 8


@pytest.mark.parametrize("kwargs", [dict(exit=2.5), dict(stop=1.5), dict(horizon=0)])
def test_bad_thresholds_rejected(kwargs):
    with pytest.raises(ValueError):
        entry_labels(Z, MASK, **kwargs)


def test_shape_mismatch_rejected():
    with pytest.raises(ValueError, match="must be equal"):
        entry_labels(Z, MASK[:-1])
