"""Fanned-out results equal the single-process ones: search and grid exactly, screening exactly but for
the last bits of its float statistics (``same.py`` says why)."""
from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest import CostModel, RiskLimits, run_grid
from pairs_platform.backtest.optimize import grid_chunks, grid_params, grid_search
from pairs_platform.pairs.schedule import build_pair_schedule, select_formation_pairs, walk_forward_windows
from pairs_platform.parallel import LocalBackend
from pairs_platform_tests.parallel.same import assert_same_schedule

SPACE = {"entry_z": [1.5, 2.0, 2.5], "exit_z": [0.0, 0.5], "lookback": [20, 40]}
SELECT = functools.partial(select_formation_pairs, max_pairs=4)
LIMITS = RiskLimits(max_drawdown=0.2, max_class_gross={"equity": 3.0})


@pytest.fixture(scope="module")
def reference(market):
    prices, _ = market
    windows = walk_forward_windows(prices.index, 250, 120)
    schedule = build_pair_schedule(prices, windows, SELECT)
    return prices, windows, schedule, grid_search(prices, schedule, SPACE, limits=LIMITS)


def _assert_same_search(fanned, single):
    pd.testing.assert_frame_equal(fanned.trials, single.trials, check_exact=True)
    pd.testing.assert_frame_equal(fanned.window_scores, single.window_scores, check_exact=True)
    pd.testing.assert_frame_equal(fanned.selections, single.selections, check_exact=True)
    pd.testing.assert_series_equal(fanned.oos.equity, single.oos.equity, check_exact=True)
    assert fanned.headline == single.headline or all(
        a == b or (np.isnan(a) and np.isnan(b)) for a, b in zip(fanned.headline.values(), single.headline.values()))


def _check_backend(backend, reference):
    prices, windows, schedule, search = reference
    assert len(windows) >= 3 and len(schedule) > 0  # the test screens something
    fanned = build_pair_schedule(prices, windows, SELECT, backend=backend, n_chunks=2)
    assert_same_schedule(fanned, schedule)
    _assert_same_search(grid_search(prices, schedule, SPACE, limits=LIMITS, backend=backend), search)
    candidates = grid_params(SPACE)
    whole = run_grid(prices, schedule, candidates, limits=LIMITS)
    shared = {"prices": prices, "schedule": schedule, "instruments": None, "costs": CostModel(), "limits": LIMITS,
              "capital": 1_000_000.0, "open_prices": None}
    equity, stats = grid_chunks(shared, candidates, backend, chunk_size=5)
    np.testing.assert_array_equal(equity[:, -len(whole.equity):].T, whole.equity.to_numpy())
    assert stats.shape == (len(candidates),)


def test_screening_search_and_grid_equal_in_process(reference):
    _check_backend(LocalBackend(), reference)


def test_screening_search_and_grid_equal_on_a_process_pool(reference):
    backend = LocalBackend(processes=2)
    try:
        _check_backend(backend, reference)
    finally:
        backend.close()


def test_screening_search_and_grid_equal_on_celery_workers(reference, celery_backend):
    _check_backend(celery_backend, reference)


def test_screening_equal_on_celery_workers_over_rabbitmq(reference, rabbitmq_backend):
    prices, windows, schedule, _ = reference
    fanned = build_pair_schedule(prices, windows, SELECT, backend=rabbitmq_backend, n_chunks=3)
    assert_same_schedule(fanned, schedule)
