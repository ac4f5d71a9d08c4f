"""Walk-forward search: choices made on one window trade the next; only OOS results in the headline."""
import math

import mlflow
import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams, run_backtest
from pairs_platform.backtest.optimize import (
    grid_params, grid_search, random_params, random_search, walk_forward_search,
)
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from pairs_platform.tracking.search import log_search_to_mlflow
from synth_backtest_data import ols_selector, synthetic_prices

PAIRS = [("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3"), ("EQ:S4", "EQ:S5")]
SPACE = {"entry_z": [1.0, 1.5, 2.0], "exit_z": [0.0, 0.5], "zscore": ["formation", "rolling"], "lookback": [20, 40]}


@pytest.fixture(scope="module")
def market():
    prices = synthetic_prices(900, 6, seed=11)
    windows = walk_forward_windows(prices.index, 200, 120)
    return prices, build_pair_schedule(prices, windows, ols_selector(PAIRS))


@pytest.fixture(scope="module")
def search(market):
    prices, schedule = market
    return grid_search(prices, schedule, SPACE, costs=CostModel(), limits=RiskLimits(max_drawdown=0.1))


def test_grid_and_random_candidates():
    grid = grid_params(SPACE)
    assert len(grid) == 3 * 2 * 2 * 2  # every combination is a valid strategy here
    assert all(p.exit_z < p.entry_z for p in grid)
    assert len(grid_params({"entry_z": [1.0, 2.0], "exit_z": [0.0, 1.5]})) == 3  # (1.0, 1.5) is not a strategy
    draws = random_params({"entry_z": (1.0, 2.5), "lookback": (10, 60), "sizing": ["equal", "vol_target"]}, 20, seed=3)
    assert len(draws) == 20 and len(set(draws)) == 20
    assert all(isinstance(p.lookback, int) and 10 <= p.lookback <= 60 for p in draws)
    assert draws == random_params({"entry_z": (1.0, 2.5), "lookback": (10, 60), "sizing": ["equal", "vol_target"]}, 20, seed=3)
    with pytest.raises(ValueError, match="entry_zz"):
        grid_params({"entry_zz": [1.0]})


def test_choice_is_previous_window_best_and_oos_is_chained(search, market):
    prices, schedule = market
    sel, scores = search.selections, search.window_scores
    assert len(sel) == len(scores) - 1  # the first window is never out of sample
    for row in sel.itertuples():
        previous = scores.loc[row.chosen_on_window]
        assert row.chosen_trial == int(np.argmax(previous.to_numpy()))
        assert row.chosen_on_window < row.window_id
    # the OOS equity of each window equals a stand-alone run of the chosen parameters from that capital
    row = sel.iloc[1]
    alone = run_backtest(prices, schedule[schedule.window_id == row.window_id], None,
                         search.candidates[row.chosen_trial], CostModel(), RiskLimits(max_drawdown=0.1), row.start_equity,
                         peak_equity=search.oos.equity.loc[:row.trade_start].iloc[:-1].max())
    window_eq = search.oos.equity.loc[row.trade_start:row.trade_end]
    np.testing.assert_allclose(window_eq.to_numpy(), alone.equity.loc[:row.trade_end].to_numpy(), rtol=1e-12)
    assert search.oos.equity.index[0] == pd.Timestamp(sel.trade_start.iloc[0])
    assert search.headline["sharpe"] == pytest.approx(search.oos.summary["sharpe"])
    assert math.prod(1 + sel.oos_return) - 1 == pytest.approx(search.headline["total_return"])


def test_trials_table(search):
    t = search.trials
    assert len(t) == len(search.candidates) and {"entry_z", "sharpe", "times_selected", "trade_count"} <= set(t.columns)
    assert t["times_selected"].sum() == len(search.selections)


def test_random_search_and_errors(market):
    prices, schedule = market
    res = random_search(prices, schedule, {"entry_z": (1.0, 2.5), "pnl_stop": [0.0, 0.02]}, n_trials=6, seed=1,
                        metric="sortino")
    assert res.search == "random" and len(res.trials) == 6
    with pytest.raises(ValueError, match="metric"):
        walk_forward_search(prices, schedule, [StrategyParams()], metric="alpha")
    overlapping = build_pair_schedule(prices, walk_forward_windows(prices.index, 200, 120, 60), ols_selector(PAIRS))
    with pytest.raises(ValueError, match="non-overlapping"):
        walk_forward_search(prices, overlapping, [StrategyParams()])


def test_log_search_to_mlflow(search, tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    parent = log_search_to_mlflow(search, "wf-search-test", uri, artifact_location=(tmp_path / "artifacts").as_uri())
    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["wf-search-test"])
    children = runs[runs["tags.mlflow.parentRunId"] == parent]
    assert len(children) == len(search.trials)
    assert set(children["params.entry_z"].astype(float)) == {1.0, 1.5, 2.0}
    top = runs[runs.run_id == parent].iloc[0]
    assert top["metrics.oos_sharpe"] == pytest.approx(search.headline["sharpe"])
    artifacts = {a.path for a in mlflow.MlflowClient(uri).list_artifacts(parent)}
    assert {"oos_selections.csv", "oos_tearsheet.html"} <= artifacts
