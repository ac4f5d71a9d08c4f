"""Ablation and placebo of the entry filters: skill is told from luck, seeds make runs repeatable."""
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from pairs_platform.research.placebo import (
    BacktestSpec, FilterInputs, ablation, ml_mask, ml_placebo, permute_labels, regime_placebo,
)
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from pairs_platform.ml import build_features, entry_labels
from pairs_platform.ml.walkforward import retrain_cutoffs
from pairs_platform.signals.spreads import pair_ids, spread_panel
from synth_backtest_data import ols_selector, synthetic_prices

PAIRS = [(f"EQ:S{2 * i}", f"EQ:S{2 * i + 1}") for i in range(6)]


@pytest.fixture(scope="module")
def inputs():
    prices = synthetic_prices(1000, 12, seed=2, phi=0.97)
    schedule = build_pair_schedule(prices, walk_forward_windows(prices.index, 150, 50), ols_selector(PAIRS))
    panel = spread_panel(prices, schedule)
    features = build_features(prices, schedule, panel.zscores, panel.spreads)
    labels = entry_labels(panel.zscores, panel.mask, entry=2.0, exit=0.5, stop=4.0, horizon=20).to_frame(
        panel.dates, panel.pair_ids)
    cutoffs = retrain_cutoffs(pd.Timestamp(schedule["trade_start"].min()) + pd.Timedelta(days=120),
                              prices.index[-1], 100, prices.index)
    regime_ok = pd.Series(np.arange(len(prices)) % 40 >= 10, index=prices.index)  # blocks 10 days in 40
    spec = BacktestSpec(prices, schedule)
    filt = FilterInputs(features, labels, cutoffs, regime_ok, pair_ids(schedule), model="logistic", min_samples=30)
    return spec, filt


def _oracle(filt):
    """Features that know the label: a filter with (unfair) skill, to check the placebo detects skill."""
    known = filt.labels["label"].reindex(filt.features.index)
    return replace(filt, features=filt.features.assign(oracle=known.fillna(0.5).to_numpy()))


def test_permutation_keeps_each_block_and_its_base_rate(inputs):
    _, filt = inputs
    shuffled = permute_labels(filt.labels, filt.cutoffs, np.random.default_rng(0))
    block = np.searchsorted(pd.DatetimeIndex(filt.cutoffs).values,
                            pd.to_datetime(filt.labels["label_end"]).values, side="right")
    resolved = filt.labels["label"].notna().to_numpy()
    assert (shuffled["label"].notna().to_numpy() == resolved).all()
    for b in np.unique(block[resolved]):
        rows = resolved & (block == b)
        assert shuffled["label"][rows].sum() == filt.labels["label"][rows].sum()
    assert (shuffled["label"][resolved] != filt.labels["label"][resolved]).any()
    again = permute_labels(filt.labels, filt.cutoffs, np.random.default_rng(0))
    assert again["label"].equals(shuffled["label"])  # a fixed seed repeats


def test_ablation_has_four_variants_and_filters_cut_trades(inputs):
    spec, filt = inputs
    table = ablation(spec, filt)
    assert list(table.index) == ["none", "regime", "ml", "both"]
    assert table.loc["both", "trade_count"] <= min(table.loc["ml", "trade_count"], table.loc["regime", "trade_count"])
    assert table.loc["regime", "trade_count"] < table.loc["none", "trade_count"]


def test_placebo_tells_skill_from_luck(inputs):
    spec, filt = inputs
    skilled = ml_placebo(spec, _oracle(filt), n_runs=9, seed=0)  # (19 runs give p = 0.05: ~50 s)
    assert skilled.percentile == 1.0 and skilled.p_value == pytest.approx(0.1)  # beats every placebo
    assert skilled.real_sharpe > skilled.unfiltered_sharpe
    assert skilled.seeds == tuple(range(9)) and len(skilled.placebo_sharpes) == 9
    luck = regime_placebo(spec, filt, n_runs=19, seed=0)  # a calendar rule blind to the spreads
    assert luck.p_value > 0.05 and luck.percentile < 0.95
    oracle = _oracle(filt)
    verdict = pd.DataFrame({"accept": oracle.labels["label"].reindex(filt.features.index).fillna(1.0) > 0.5},
                           index=filt.features.index)
    mask = ml_mask(verdict, pd.DatetimeIndex(spec.prices.index), filt.pair_ids)
    assert mask.sum() == mask.size - (~verdict["accept"]).sum()
