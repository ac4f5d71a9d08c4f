"""Feature table: layout, hand-checked values, and no look-ahead (perturbing data after t changes nothing at t)."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.ml.features import FEATURE_COLUMNS, build_features, to_panel
from pairs_platform.signals.spreads import (formation_zscores, pair_ids, pair_spreads, rolling_zscores,
                                            trading_mask)


def _features(prices, schedule, rolling=False):
    spreads = pair_spreads(prices, schedule)
    z = rolling_zscores(spreads, 40) if rolling else formation_zscores(spreads, schedule)
    return build_features(prices, schedule, z, spreads)


def test_layout_one_row_per_in_window_date_and_pair(market):
    features = build_features(market.prices, market.schedule, market.zscores, market.spreads)
    assert list(features.columns) == list(FEATURE_COLUMNS)
    assert features.index.names == ["date", "pair_id"]
    assert len(features) == int(market.mask.sum())
    assert features.index.is_unique
    assert set(features.index.get_level_values("pair_id")) == set(pair_ids(market.schedule))
    assert (features.dtypes == np.float64).all()


def test_values_match_hand_computation(market):
    features = build_features(market.prices, market.schedule, market.zscores, market.spreads)
    row = market.schedule.iloc[5]
    pid = pair_ids(market.schedule)[5]
    t = market.prices.index.get_loc(row["trade_start"]) + 30
    date = market.prices.index[t]
    got = features.loc[(date, pid)]
    z = market.zscores[:, 5]
    assert got["z"] == pytest.approx(z[t])
    assert got["z_change_5d"] == pytest.approx(z[t] - z[t - 5])
    assert got["days_since_trade_start"] == 30
    assert got["half_life"] == row["half_life"] and got["formation_pvalue"] == row["pvalue"]
    ry = np.log(market.prices[row["y"]]).diff().iloc[t - 59:t + 1]
    rx = np.log(market.prices[row["x"]]).diff().iloc[t - 59:t + 1]
    assert got["leg_corr_60d"] == pytest.approx(np.corrcoef(ry, rx)[0, 1], abs=1e-10)
    assert got["vol_y_20d"] == pytest.approx(ry.iloc[-20:].std(ddof=1), abs=1e-12)
    spread_changes = np.diff(market.spreads[t - 20:t + 1, 5])
    assert got["spread_vol_20d"] == pytest.approx(spread_changes.std(ddof=1), abs=1e-12)


@pytest.mark.parametrize("rolling", [False, True])
def test_no_look_ahead_perturbing_prices_after_t(market, rolling):
    before = _features(market.prices, market.schedule, rolling)
    cut = market.prices.index[600]
    shocked = market.prices.copy()
    rng = np.random.default_rng(11)
    after = shocked.index > cut
    shocked.loc[after] = shocked.loc[after] * np.exp(rng.normal(0, 0.2, (int(after.sum()), shocked.shape[1])))
    changed = _features(shocked, market.schedule, rolling)
    known = before.index.get_level_values("date") <= cut
    pd.testing.assert_frame_equal(before[known], changed[known], check_exact=True)
    assert not before[~known].equals(changed[~known])  # the perturbation did reach later rows


def test_shape_mismatch_names_the_array(market):
    with pytest.raises(ValueError, match="zscores has shape"):
        build_features(market.prices, market.schedule, market.zscores[1:], market.spreads)


def test_duplicate_pair_rows_rejected(market):
    schedule = pd.concat([market.schedule, market.schedule.iloc[[0]]], ignore_index=True)
    spreads = pair_spreads(market.prices, schedule)
    with pytest.raises(ValueError, match="duplicate rows"):
        build_features(market.prices, schedule, formation_zscores(spreads, schedule), spreads)


def test_to_panel_inverts_the_long_layout(market):
    features = build_features(market.prices, market.schedule, market.zscores, market.spreads)
    panel = to_panel(features["z"], market.prices.index, pair_ids(market.schedule))
    mask = trading_mask(market.prices.index, market.schedule)
    np.testing.assert_array_equal(panel[mask], market.zscores[mask])
    assert np.isnan(panel[~mask]).all()
