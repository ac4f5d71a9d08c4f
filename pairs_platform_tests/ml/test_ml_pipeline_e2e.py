"""The ML stage end to end on the synthetic market: features, labels, training, filters -> entry_allowed."""
import numpy as np

from pairs_platform.ml import (build_features, detect_regimes, entry_labels, regime_allows_entry, to_panel,
                               train_entry_filter)
from pairs_platform.signals.entries import entry_zone
from confirmation_filters import combine_filters, ml_filter, momentum_filter, regime_filter
from pairs_platform.signals.spreads import pair_ids


def test_entry_allowed_mask_from_the_whole_ml_stage(market):
    dates, ids = market.prices.index, pair_ids(market.schedule)
    features = build_features(market.prices, market.schedule, market.zscores, market.spreads)
    labels = entry_labels(market.zscores, market.mask, entry=1.5, exit=0.5, stop=4.0, horizon=15)
    table = labels.to_frame(dates, ids)
    cutoff = dates[750]
    trained = train_entry_filter(features, table["label"], table["label_end"], cutoff, model="logistic",
                                 n_splits=3, embargo_days=5, min_samples=20)
    assert trained.cv_metrics["n_train"] == ((table["label_end"] < cutoff) & table["label"].notna()).sum()
    proba = to_panel(trained.predict_proba(features), dates, ids)
    assert np.isfinite(proba[market.mask]).all() and np.isnan(proba[~market.mask]).all()

    allows = regime_allows_entry(detect_regimes(market.prices, fit_end=dates[499]))
    zone = entry_zone(market.zscores, market.mask, entry=1.5, stop=4.0)
    allowed = combine_filters(ml_filter(zone, proba, trained.threshold), regime_filter(zone, allows, dates),
                              momentum_filter(zone, market.zscores, entry=1.5))
    assert allowed.shape == market.zscores.shape and allowed.dtype == bool
    assert allowed.sum() > 0 and not (allowed & ~zone).any()
    assert allowed.sum() < zone.sum()
