"""The vectorized outlier helpers equal their plain pandas formulations (the code they replaced),
on shuffled instruments with spikes at the start, NaN returns and instruments shorter than a window."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.data.outliers import _flag_first_bars, _lagged_rolling_median


def _reference_first_bars(log_close, ids, cap, window):
    flagged = pd.Series(False, index=log_close.index)
    for _ in range(window):
        alive = log_close[~flagged]
        grouped = alive.groupby(ids[~flagged], sort=False)
        ahead = pd.concat([grouped.shift(-k) for k in range(1, window + 1)], axis=1).median(axis=1)
        first = grouped.cumcount() == 0
        bad = first & ahead.notna() & ((alive - ahead).abs() > cap[alive.index])
        if not bad.any():
            break
        flagged[bad.index[bad.to_numpy()]] = True
    return flagged


def _series(seed: int, n_ids: int = 40):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(1, 30, n_ids)  # some instruments shorter than any window
    ids = np.repeat([f"EQ:S{i}" for i in range(n_ids)], lengths)
    values = np.cumsum(rng.normal(0, 0.02, len(ids)))
    starts = np.r_[0, np.cumsum(lengths)[:-1]]
    for start, length in zip(starts, lengths):  # leading spikes, up to 3 in a row
        values[start:start + min(length, rng.integers(0, 4))] += rng.choice([-1.0, 1.0]) * 2.0
    slots, where = rng.permutation(len(ids)), np.empty(len(ids), dtype=int)
    for start, length in zip(starts, lengths):  # instruments interleaved, each keeping its own order
        where[start:start + length] = np.sort(slots[start:start + length])
    frame = pd.DataFrame({"id": ids, "v": values}).iloc[np.argsort(where)]
    assert (frame["id"].to_numpy()[1:] != frame["id"].to_numpy()[:-1]).sum() > 2 * n_ids
    index = pd.Index(rng.permutation(10 * len(ids))[: len(ids)])
    frame.index = index
    cap = pd.Series(np.where(rng.random(len(ids)) < 0.05, np.nan, 0.5), index=index)
    return frame["v"], frame["id"], cap


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("window", [1, 3, 5])
def test_first_bar_flags_equal_the_pandas_formulation(seed, window):
    log_close, ids, cap = _series(seed)
    got = _flag_first_bars(log_close, ids, cap, window)
    expected = _reference_first_bars(log_close, ids, cap, window)
    assert expected.any()  # the planted leading spikes are caught, so the comparison means something
    pd.testing.assert_series_equal(got, expected, check_names=False)


@pytest.mark.parametrize("seed", range(5))
def test_lagged_rolling_median_equals_the_groupby_transform(seed):
    values, ids, _ = _series(seed)
    values = values.abs().where(np.random.default_rng(seed).random(len(values)) > 0.1)  # NaN returns
    got = _lagged_rolling_median(values, ids, 8)
    expected = values.groupby(ids, sort=False).transform(lambda s: s.shift(1).rolling(8, min_periods=3).median())
    pd.testing.assert_series_equal(got, expected, check_names=False)
    assert _lagged_rolling_median(values.iloc[:0], ids.iloc[:0], 8).empty
