"""ML stage: causal features, entry labels, market regimes and purged-CV training (MLflow: tracking.models).

Pure core (no dagster import). See docs/ml.md.
"""
from pairs_platform.ml.cv import PurgedTimeSeriesSplit
from pairs_platform.ml.features import FEATURE_COLUMNS, build_features, to_panel
from pairs_platform.ml.labels import EntryLabels, entry_candidates, entry_labels, panel_labels
from pairs_platform.ml.regimes import (VolatilityRegimeDetector, detect_regimes, fit_volatility_regimes,
                                       regime_allows_entry)
from pairs_platform.ml.training import TrainedFilter, train_entry_filter

__all__ = ["FEATURE_COLUMNS", "EntryLabels", "PurgedTimeSeriesSplit", "TrainedFilter",
           "VolatilityRegimeDetector", "build_features", "detect_regimes", "entry_candidates",
           "entry_labels", "fit_volatility_regimes", "panel_labels",
           "regime_allows_entry", "to_panel", "train_entry_filter"]
