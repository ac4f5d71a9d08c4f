"""The screening memo: a kept window equals a fresh screening, a changed price re-screens exactly the
windows that hold it, and a damaged or foreign cache never changes a result."""
from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd
import pytest

from pairs_platform.pairs.memo import Screened, options_digest, screening_key
from pairs_platform.pairs.schedule import screen_pair_schedule, select_formation_pairs, walk_forward_windows
from pairs_platform.pairs.synthetic import planted_pairs_prices
from pairs_platform.store.screening import FolderScreeningMemo
from pairs_platform_tests.parallel.same import assert_same_schedule

SELECT = functools.partial(select_formation_pairs, max_pairs=4)


@pytest.fixture(scope="module")
def market():
    prices, _ = planted_pairs_prices(n_walks=8, n_planted=4, n_obs=700, seed=11)
    windows = walk_forward_windows(prices.index, 250, 100)
    return prices, windows, screen_pair_schedule(prices, windows, SELECT)


def _same(got, expected) -> None:
    """A kept window is the stored screening itself: equal to the last bit."""
    pd.testing.assert_frame_equal(got.schedule, expected.schedule, check_exact=True)
    assert got.window_attrs == expected.window_attrs


def _rescreened(got, expected) -> None:
    """Two screenings of the same data: equal but for the last bits of the statistics (same.py)."""
    assert_same_schedule(got.schedule, expected.schedule)
    assert [sorted(a) for a in got.window_attrs] == [sorted(a) for a in expected.window_attrs]


def test_kept_windows_equal_a_fresh_screening(market, tmp_path):
    prices, windows, fresh = market
    assert len(windows) >= 4 and len(fresh.schedule) > 0  # the test screens something
    memo = FolderScreeningMemo(tmp_path)
    first = screen_pair_schedule(prices, windows, SELECT, memo=memo)
    assert first.reused == 0 and len(list(tmp_path.glob("*.json"))) == len(windows)
    second = screen_pair_schedule(prices, windows, SELECT, memo=memo)
    assert second.reused == len(windows)
    _rescreened(first, fresh)
    _same(second, first)


def test_a_changed_price_rescreens_only_the_windows_that_hold_it(market, tmp_path):
    prices, windows, _ = market
    memo = FolderScreeningMemo(tmp_path)
    screen_pair_schedule(prices, windows, SELECT, memo=memo)
    revised = prices.copy()
    day = revised.index[300]
    revised.iloc[300, 0] *= 1.01  # a corrected bar
    holding = int(((windows["formation_start"] <= day) & (windows["formation_end"] >= day)).sum())
    assert 0 < holding < len(windows)
    again = screen_pair_schedule(revised, windows, SELECT, memo=memo)
    assert again.reused == len(windows) - holding
    _rescreened(again, screen_pair_schedule(revised, windows, SELECT))


def test_other_selection_options_are_other_keys(market, tmp_path):
    prices, windows, _ = market
    memo = FolderScreeningMemo(tmp_path)
    screen_pair_schedule(prices, windows, SELECT, memo=memo)
    other = functools.partial(select_formation_pairs, max_pairs=2)
    result = screen_pair_schedule(prices, windows, other, memo=memo)
    assert result.reused == 0
    _rescreened(result, screen_pair_schedule(prices, windows, other))


def test_a_damaged_file_is_screened_again_and_rewritten(market, tmp_path, caplog):
    prices, windows, fresh = market
    memo = FolderScreeningMemo(tmp_path)
    screen_pair_schedule(prices, windows, SELECT, memo=memo)
    victim = sorted(tmp_path.glob("*.json"))[0]
    victim.write_text('{"__frame__": "not parquet"')
    result = screen_pair_schedule(prices, windows, SELECT, memo=memo)
    assert result.reused == len(windows) - 1
    assert "does not decode" in caplog.text and victim.name in caplog.text
    _rescreened(result, fresh)
    json.loads(victim.read_text())  # rewritten whole


def test_a_closure_selector_is_never_memoized(market, tmp_path):
    prices, windows, _ = market
    result = screen_pair_schedule(prices, windows, lambda formation: SELECT(formation), memo=FolderScreeningMemo(tmp_path))
    assert result.reused == 0 and not list(tmp_path.glob("*.json"))


def test_keys_are_hex_digests_and_the_folder_is_bounded(tmp_path):
    memo = FolderScreeningMemo(tmp_path, keep=2)
    with pytest.raises(ValueError, match="not a SHA-256"):
        memo.get("../../etc/passwd")
    digest = options_digest("pairs_platform.pairs.schedule:select_formation_pairs", {"max_pairs": 4})
    frames = [pd.DataFrame({"a": np.arange(3.0) + i}) for i in range(4)]
    keys = [screening_key(digest, frame) for frame in frames]
    assert len(set(keys)) == 4
    for key in keys:
        memo.put(key, Screened(None, {"funnel": {"tested": 1}}))
    assert len(list(tmp_path.glob("*.json"))) == 2
    assert memo.get(keys[-1]) == Screened(None, {"funnel": {"tested": 1}})


def test_a_folder_that_cannot_be_written_costs_time_not_the_result(market, tmp_path, caplog):
    prices, windows, fresh = market
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    result = screen_pair_schedule(prices, windows, SELECT, memo=FolderScreeningMemo(blocked / "memo"))
    assert result.reused == 0 and "could not keep" in caplog.text
    _rescreened(result, fresh)
