"""[models] the ML entry filter (walk-forward trained, tracked and registered in MLflow) and the
walk-forward search of the strategy's parameters."""
import dagster as dg
import pandas as pd

from pairs_platform.backtest.optimize import grid_search
from pairs_platform.backtest.search_deflation import deflate_search, trial_returns
from pairs_platform.backtest.sleeves import sleeve_rows
from pairs_platform.defs.models.live import promotion_policy, strategy_labels
from pairs_platform.defs.shared.metadata import HEADLINE, ratio, segments_table, table_preview
from pairs_platform.defs.shared.resources import MLflowResource, ParallelResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml import regime_allows_entry
from pairs_platform.ml.gate import GateData
from pairs_platform.ml.training import TrainedFilter
from pairs_platform.ml.walkforward import schedule_retrain_cutoffs, train_walk_forward
from pairs_platform.reporting.integrity import deflation_line, placebo_line, placebo_table
from pairs_platform.research.placebo import BacktestSpec, FilterInputs, ml_placebo, regime_placebo, restrict
from pairs_platform.signals.spreads import SpreadPanel, pair_ids
from pairs_platform.tracking.lifecycle import register_challenger, run_promotion_gate
from pairs_platform.tracking.search import DEFLATION_METRICS, log_search_to_mlflow

GROUP = "models"


def _gate(context: dg.AssetExecutionContext, mlflow: MLflowResource, newest: TrainedFilter,
          data: GateData, policy) -> tuple[dict, dict]:
    """Registers ``newest`` as challenger and runs the promotion gate: (registry info, gate metadata)."""
    store = mlflow.store()
    registry = register_challenger(newest, mlflow.target(), store.experiment, input_example=data.features.head(5))
    try:
        gate = run_promotion_gate(mlflow.target(), data, policy).to_metadata()
    except ValueError as error:  # e.g. no purged-CV fold with both classes on a short history
        context.log.warning(f"promotion gate not evaluated: {error}")
        gate = {"promoted": False, "reason": f"gate not evaluated: {error}",
                "challenger_version": int(registry["version"])}
    context.log.info(f"challenger v{registry['version']}: {gate['reason']}")
    return registry, gate


@dg.asset(group_name=GROUP, kinds={"sklearn", "mlflow"})
def signal_model(context: dg.AssetExecutionContext, strategy: StrategyResource, mlflow: MLflowResource,
                 price_panel: pd.DataFrame, pair_universe: pd.DataFrame, spreads: SpreadPanel,
                 ml_features: pd.DataFrame) -> dg.Output:
    """Entry filter models, retrained every ``ml_retrain_days`` sessions on labels resolved before each
    cutoff; the newest is registered in MLflow under the alias 'challenger' and becomes 'champion'
    only if the promotion gate passes (same purged-CV folds as the champion, placebo, margin)."""
    config = strategy.config()
    labels = strategy_labels(config, spreads)
    cutoffs = schedule_retrain_cutoffs(pair_universe, price_panel.index, config.ml_retrain_days)
    segments = train_walk_forward(ml_features, labels, cutoffs, model=config.ml_model,
                                  min_samples=config.ml_min_training_samples, threshold=config.ml_threshold)
    trained = [s for s in segments if s.model is not None]
    registry, gate = {}, {"promoted": False, "reason": "no segment has a model: nothing to register"}
    if trained:
        newest = trained[-1].model
        registry, gate = _gate(context, mlflow, newest, GateData(ml_features, labels["label"],
                                                                 labels["label_end"], newest.cutoff),
                               promotion_policy(config))
    context.log.info(f"{len(trained)} of {len(segments)} walk-forward segments have a model")
    return dg.Output({"segments": segments, "registry": registry}, metadata={
        "segments": len(segments), "segments_with_model": len(trained),
        "candidates_labelled": int(labels["label"].notna().sum()),
        "mlflow_run_id": registry.get("run_id", ""), "model_version": str(registry.get("version", "")),
        "registered_model_uri": registry.get("registered_model_uri", ""),
        **{f"gate_{k}": ("" if v is None else v) for k, v in gate.items()},
        "walk_forward": table_preview(segments_table(segments)),
    })


@dg.asset(group_name=GROUP, kinds={"mlflow"})
def parameter_search(strategy: StrategyResource, mlflow: MLflowResource, parallel: ParallelResource,
                     price_panel: pd.DataFrame, pair_universe: pd.DataFrame,
                     instruments: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Walk-forward grid search of entry, exit, stop and sizing: the parameters chosen on each trading
    window are scored on the next, and only that chained out-of-sample result is the headline,
    beside its deflated Sharpe ratio (DSR, the number of trials accounted for) and the probability
    of backtest overfitting (PBO). Each trial is an MLflow child run; the trials table is the value.
    The candidates are simulated in chunks on the ``parallel`` resource (same result)."""
    config = strategy.config()
    run_options = dict(instruments=instruments, costs=config.costs(), limits=config.limits(), capital=config.capital)
    result = grid_search(price_panel, pair_universe, config.search_space(), base=config.params(),
                         backend=parallel.get(), **run_options)
    deflation = deflate_search(result, trial_returns(price_panel, pair_universe, result.candidates, **run_options))
    store = mlflow.store()
    parent = log_search_to_mlflow(result, store.experiment, store.uri, deflation=deflation)
    headline = {f"oos_{k}": ratio(result.headline[k]) for k in HEADLINE if k in result.headline}
    return dg.Output(result.trials, metadata={
        **headline, **{k: dg.MetadataValue.float(float(deflation[k])) for k in DEFLATION_METRICS if k in deflation},
        "integrity": deflation_line(deflation), "deflation_notes": deflation["notes"] or "none",
        "trials": len(result.trials), "mlflow_parent_run_id": parent, "searched_on": parallel.describe(),
        "oos_selections": table_preview(result.selections),
    })


ML_PLACEBO_RUNS, REGIME_PLACEBO_RUNS, PLACEBO_SEED = 50, 200, 0


@dg.asset(group_name=GROUP, kinds={"sklearn"})
def filter_placebos(context: dg.AssetExecutionContext, strategy: StrategyResource, price_panel: pd.DataFrame,
                    pair_universe: pd.DataFrame, instruments: pd.DataFrame, spreads: SpreadPanel,
                    ml_features: pd.DataFrame, regimes: pd.Series) -> dg.Output[pd.DataFrame]:
    """Does each entry filter earn its place? On the real-data pairs only: the ML filter against 50
    filters retrained on permuted labels and the regime filter against 200 random time shifts of
    its verdicts (seeds from 0), each ranked by Sharpe. A filter may be on by default only at
    p < 0.05. Slow (~10 s CPU per ML run), so NOT part of pairs_pipeline: run the job
    ``filter_evidence`` (``make filter-evidence``)."""
    config = strategy.config()
    labels = strategy_labels(config, spreads)  # the same labels and cutoffs as signal_model
    cutoffs = schedule_retrain_cutoffs(pair_universe, price_panel.index, config.ml_retrain_days)
    spec = BacktestSpec(price_panel, pair_universe, instruments, config.params(), config.costs(),
                        config.limits(), config.capital)
    filt = FilterInputs(ml_features, labels, cutoffs, regime_allows_entry(regimes), pair_ids(pair_universe),
                        model=config.ml_model, min_samples=config.ml_min_training_samples,
                        threshold=config.ml_threshold, seed=PLACEBO_SEED)
    spec, filt = restrict(spec, filt, sleeve_rows(pair_universe, instruments)["real data only"])
    if not len(spec.schedule):
        raise ValueError("filter_placebos: no real-data pair is scheduled; the placebos need real data "
                         "(widen the sessions or add real instruments)")
    results = [ml_placebo(spec, filt, n_runs=ML_PLACEBO_RUNS, seed=PLACEBO_SEED),
               regime_placebo(spec, filt, n_runs=REGIME_PLACEBO_RUNS, seed=PLACEBO_SEED)]
    table = placebo_table(results)
    context.log.info("\n".join(placebo_line(r) for r in results))
    return dg.Output(table, metadata={
        **{f"{name}_{k}": dg.MetadataValue.float(float(table.loc[name, k]))
           for name in table.index for k in ("percentile", "p_value")},
        **{f"{name}_verdict": str(table.loc[name, "verdict"]) for name in table.index},
        "configured": f"use_ml_filter={config.use_ml_filter}, use_regime_filter={config.use_regime_filter}",
        "real_pairs_scheduled": len(spec.schedule), "seed": PLACEBO_SEED,
        "placebos": dg.MetadataValue.md(table.round(4).to_markdown()),
    })
