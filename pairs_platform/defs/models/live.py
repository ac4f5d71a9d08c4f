"""[models] the model in use as the assets, checks and sensors read it: the registry's champion,
and the entry labels the strategy's rules give."""
from __future__ import annotations

import pandas as pd

from pairs_platform.defs.shared.resources import MLflowResource
from pairs_platform.ml import panel_labels
from pairs_platform.ml.gate import PromotionPolicy
from pairs_platform.ml.live_model import model_in_use
from pairs_platform.ml.training import TrainedFilter
from pairs_platform.ml.walkforward import FilterSegment
from pairs_platform.signals.spreads import SpreadPanel
from pairs_platform.strategy import StrategyConfig
from pairs_platform.tracking.lifecycle import Champion, load_champion

NO_CHAMPION = "none"
"""``champion_version`` recorded while no challenger has passed the promotion gate."""


def current_champion(mlflow: MLflowResource) -> Champion | None:
    """The champion (filter and version), or None when no challenger has passed the gate yet."""
    try:
        return load_champion(mlflow.target())
    except LookupError:
        return None


def version_label(champion: Champion | None) -> str:
    """The champion's version as recorded in metadata, or :data:`NO_CHAMPION`."""
    return NO_CHAMPION if champion is None else str(champion.version)


def strategy_labels(config: StrategyConfig, spreads: SpreadPanel) -> pd.DataFrame:
    """Entry labels (``label``, ``label_end`` on ``(date, pair_id)``) under the strategy's rules."""
    return panel_labels(spreads, entry=config.entry_z, exit=config.exit_z, stop=config.stop_z,
                        horizon=config.label_horizon_days)


def filter_in_use(mlflow: MLflowResource, segments: list[FilterSegment]) -> tuple[TrainedFilter | None, str]:
    """(model, where it came from): the champion, else the newest walk-forward model, else None."""
    champion = current_champion(mlflow)
    model = model_in_use(segments, None if champion is None else champion.filter)
    if champion is not None:
        return model, f"champion v{champion.version}"
    return model, "newest walk-forward model" if model is not None else "no model"


def promotion_policy(config: StrategyConfig) -> PromotionPolicy:
    """The promotion gate's policy: margin and placebo count from the strategy, the rest its defaults."""
    return PromotionPolicy(auc_margin=config.promotion_auc_margin, n_placebo=config.promotion_placebos)
