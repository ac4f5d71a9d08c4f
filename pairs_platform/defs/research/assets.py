"""[research] walk-forward pair universe, spreads, ML features and market regimes."""
import time

import dagster as dg
import pandas as pd

from pairs_platform.defs.shared.metadata import frame_metadata, table_preview
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml import build_features
from pairs_platform.ml.regimes import detect_regimes
from pairs_platform.pairs import select_pairs
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from pairs_platform.strategy import StrategyConfig
from pairs_platform.signals.spreads import SpreadPanel, spread_panel

GROUP = "research"


def _formation_selector(strategy: StrategyConfig, instruments: pd.DataFrame, funnels: list):
    def select(formation: pd.DataFrame) -> pd.DataFrame:
        usable = formation.dropna(axis=1)  # an instrument needs the whole formation window
        chosen = select_pairs(usable, instruments.loc[usable.columns], method=strategy.selection_method,
                              candidates=strategy.candidates, group_by="asset_class", fdr=strategy.significance,
                              max_pvalue=strategy.significance if strategy.selection == "pvalue" else None,
                              filters=strategy.filters(), max_pairs=strategy.max_pairs_per_window)
        funnels.append(chosen.attrs.get("funnel", {}))
        return chosen
    return select


@dg.asset(group_name=GROUP, kinds={"pandas"})
def pair_universe(strategy: StrategyResource, price_panel: pd.DataFrame,
                  instruments: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Walk-forward pair schedule: every formation window (trailing ``formation_days``) chooses its
    pairs and hedge ratios from its own data only; the pairs trade in the following window."""
    config = strategy.config()
    windows = walk_forward_windows(price_panel.index, config.formation_days, config.trading_days)
    funnels: list[dict] = []
    began = time.perf_counter()
    schedule = build_pair_schedule(price_panel, windows, _formation_selector(config, instruments, funnels))
    totals = pd.DataFrame(funnels).select_dtypes("number").sum()
    latest = schedule[schedule["window_id"] == schedule["window_id"].max()] if len(schedule) else schedule
    return dg.Output(schedule, metadata={
        "windows": len(windows), "pairs_selected": len(schedule),
        "screening_seconds": round(time.perf_counter() - began, 3),
        **{f"funnel_{k}": int(v) for k, v in totals.items() if k != "screening_seconds"},
        "latest_window": table_preview(latest[["y", "x", "beta", "half_life", "pvalue", "trade_start", "trade_end"]])
        if len(latest) else "no pairs",
    })


@dg.asset(group_name=GROUP, kinds={"numpy"})
def spreads(strategy: StrategyResource, price_panel: pd.DataFrame,
            pair_universe: pd.DataFrame) -> dg.Output[SpreadPanel]:
    """Spread (log y - beta log x - alpha), z-score and trading-window mask of every scheduled pair
    on every session (dates x schedule rows), the one panel features, labels and signals read."""
    params = strategy.config().params()
    panel = spread_panel(price_panel, pair_universe, zscore=params.zscore, lookback=params.lookback)
    table = panel.to_frame()
    return dg.Output(panel, metadata={**frame_metadata(table), "pairs": len(panel.pair_ids)})


@dg.asset(group_name=GROUP, kinds={"pandas"})
def regimes(strategy: StrategyResource, price_panel: pd.DataFrame) -> dg.Output[pd.Series]:
    """Market volatility regime per day (0 calm, 1 normal, 2 turbulent, -1 unknown); thresholds are
    fit on the first formation window only, then applied forward (no look-ahead)."""
    fit_end = price_panel.index[min(strategy.formation_days, len(price_panel)) - 1]
    labels = detect_regimes(price_panel, fit_end=fit_end)
    counts = labels.value_counts().sort_index()
    return dg.Output(labels, metadata={"fit_end": str(fit_end.date()),
                                       **{f"days_regime_{int(k)}": int(v) for k, v in counts.items()}})


@dg.asset(group_name=GROUP, kinds={"pandas"})
def ml_features(price_panel: pd.DataFrame, pair_universe: pd.DataFrame,
                spreads: SpreadPanel) -> dg.Output[pd.DataFrame]:
    """Causal features of every (day, pair) in its trading window: z dynamics, spread and leg
    volatility, leg correlation, half-life, formation p-value, market volatility regime."""
    features = build_features(price_panel, pair_universe, spreads.zscores, spreads.spreads)
    return dg.Output(features, metadata={"dagster/row_count": len(features),
                                         "features": ", ".join(features.columns),
                                         "preview": table_preview(features, 5)})
