"""[research] walk-forward pair universe, spreads, ML features and market regimes."""
import functools
import time

import dagster as dg
import pandas as pd

from pairs_platform.defs.shared.metadata import frame_metadata, table_preview
from pairs_platform.defs.shared.resources import ParallelResource, data_dir
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml import build_features
from pairs_platform.ml.regime_models import RegimeModelConfig, causal_regimes
from pairs_platform.ml.walkforward import schedule_retrain_cutoffs
from pairs_platform.pairs.funnel import summarize_windows
from pairs_platform.pairs.schedule import screen_pair_schedule, select_formation_pairs, walk_forward_windows
from pairs_platform.store.screening import FolderScreeningMemo
from pairs_platform.strategy import StrategyConfig
from pairs_platform.signals.spreads import SpreadPanel, spread_panel

GROUP = "research"
SCREENING_MEMO = "cache/screening"  # under the data dir


def formation_selector(strategy: StrategyConfig, instruments: pd.DataFrame) -> functools.partial:
    """The strategy's selection of one formation window: ``select_formation_pairs`` with its options
    bound by keyword (a partial of a registered chunk function, so workers can run it)."""
    policy = strategy.selection_policy()
    return functools.partial(select_formation_pairs, instruments=instruments, method=strategy.selection_method,
                             candidates=strategy.candidates, group_by=policy.group_by, fdr=policy.fdr,
                             direction=policy.direction, max_pvalue=policy.max_pvalue, filters=policy.filters(),
                             max_pairs=policy.max_pairs,
                             one_pair_per_leg=policy.one_pair_per_leg)


def funnel_table(funnel: dict) -> dg.TableMetadataValue:
    """The selection funnel, one row per step: total count over the windows and what it kept."""
    schema = dg.TableSchema(columns=[dg.TableColumn("step", "string"), dg.TableColumn("count", "int"),
                                     dg.TableColumn("explanation", "string")])
    return dg.MetadataValue.table([dg.TableRecord({"step": step, "count": int(count), "explanation": text})
                                   for step, (count, text) in funnel.items()], schema=schema)


@dg.asset(group_name=GROUP, kinds={"pandas"})
def pair_universe(strategy: StrategyResource, parallel: ParallelResource, price_panel: pd.DataFrame,
                  instruments: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Walk-forward pair schedule: every formation window (trailing ``formation_days``) chooses its
    pairs and hedge ratios from its own data only; the pairs trade in the following window. By
    default Benjamini-Hochberg FDR within economic groups (the measured ``SelectionPolicy``); the
    metadata says how many tests ran and how many false pairs to expect. The formation windows fan
    out on the ``parallel`` resource (one chunk per window); schedule and funnel are the same. A window
    whose prices, selection settings and code are unchanged since it was last screened is reused
    from ``$PAIRS_DATA_DIR/cache/screening`` (content-addressed, ``pairs_platform.pairs.memo``)."""
    config = strategy.config()
    windows = walk_forward_windows(price_panel.index, config.formation_days, config.trading_days)
    began = time.perf_counter()
    schedule, window_attrs, reused = screen_pair_schedule(
        price_panel, windows, formation_selector(config, instruments), backend=parallel.get(),
        memo=FolderScreeningMemo(data_dir() / SCREENING_MEMO))
    totals = summarize_windows(window_attrs)
    latest = schedule[schedule["window_id"] == schedule["window_id"].max()] if len(schedule) else schedule
    return dg.Output(schedule, metadata={
        "windows": len(windows), "windows_screened": len(windows) - reused, "windows_reused": reused,
        "pairs_selected": len(schedule),
        "screening_seconds": round(time.perf_counter() - began, 3), "screened_on": parallel.describe(),
        "tests_run": totals["tests_run"],
        "expected_false_discoveries": dg.MetadataValue.float(round(totals["expected_false_discoveries"], 3)),
        "expected_false_per_window": dg.MetadataValue.float(round(totals["expected_false_per_window"], 3)),
        "selection": f"{config.selection_method}, candidates={config.candidates} by {config.group_by}, "
                     f"{config.selection} at {config.significance}",
        "funnel": funnel_table(totals["funnel"]),
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
def regimes(strategy: StrategyResource, price_panel: pd.DataFrame,
            pair_universe: pd.DataFrame) -> dg.Output[pd.Series]:
    """Market regime per day (0 calm, 1 normal, 2 turbulent, -1 unknown) by ``regime_method``
    (volatility quantiles, Gaussian mixture or HMM), refit at every retrain cutoff on the days
    before it and applied until the next (no look-ahead); unknown before the first cutoff."""
    config = strategy.config()
    cutoffs = schedule_retrain_cutoffs(pair_universe, price_panel.index, config.ml_retrain_days)
    labels = causal_regimes(price_panel, cutoffs, RegimeModelConfig(method=config.regime_method))
    counts = labels.value_counts().sort_index()
    return dg.Output(labels, metadata={"method": config.regime_method, "refits": len(cutoffs),
                                       "first_cutoff": str(cutoffs[0].date()) if cutoffs else "",
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
