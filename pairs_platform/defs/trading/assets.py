"""[trading] signals, risk-sized target positions, the walk-forward backtest and its report."""
import dataclasses

import dagster as dg
import pandas as pd

from pairs_platform.backtest import BacktestResult, run_backtest
from pairs_platform.defs.shared.metadata import HEADLINE, frame_metadata, money, png_markdown, ratio, table_preview
from pairs_platform.defs.shared.resources import MLflowResource, PriceSourcesResource, data_dir
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml import regime_allows_entry
from pairs_platform.ml.walkforward import predict_walk_forward
from pairs_platform.reporting.plots import drawdown_png, monthly_heatmap_png
from pairs_platform.reporting.tearsheet import equity_curve_png, write_tearsheet
from pairs_platform.signals.entries import EntryRules, entry_counts, entry_mask, entry_signals
from pairs_platform.signals.spreads import SpreadPanel
from pairs_platform.identifiers import ASSET_CLASSES
from pairs_platform.tracking.backtest import BacktestProvenance, log_backtest_run

GROUP = "trading"


@dg.asset(group_name=GROUP, kinds={"pandas"})
def signals(strategy: StrategyResource, spreads: SpreadPanel, ml_features: pd.DataFrame,
            signal_model: dict, regimes: pd.Series) -> dg.Output[pd.DataFrame]:
    """Per day and pair in its trading window: z-score, entry zone (z-score rule), the walk-forward
    ML model's P(reversion) and verdict, the regime verdict, and whether an entry is allowed."""
    config = strategy.config()
    rules = EntryRules(entry_z=config.entry_z, stop_z=config.stop_z, use_ml_filter=config.use_ml_filter)
    table = entry_signals(spreads, predict_walk_forward(signal_model["segments"], ml_features),
                          regime_allows_entry(regimes), rules)
    return dg.Output(table, metadata={**frame_metadata(table), **entry_counts(table)})


@dg.asset(group_name=GROUP, kinds={"pandas"})
def backtest_results(strategy: StrategyResource, price_panel: pd.DataFrame, pair_universe: pd.DataFrame,
                     instruments: pd.DataFrame, signals: pd.DataFrame) -> dg.Output[BacktestResult]:
    """Walk-forward simulation of the whole strategy up to the newest session (pairs, hedges, models
    chosen on past data only): equity curve, trades, per-pair P&L, exposures, refused entries and
    metrics, net of costs. Its positions on the newest session are what execution trades next."""
    config = strategy.config()

    def simulate(entry_allowed):
        return run_backtest(price_panel, pair_universe, instruments, params=config.params(),
                            costs=config.costs(), limits=config.limits(), capital=config.capital,
                            entry_allowed=entry_allowed)

    result = simulate(entry_mask(signals, price_panel.index, pair_universe))
    unfiltered = simulate(None).summary  # the same strategy without the ML and regime filters
    summary = {k: float(result.summary[k]) for k in HEADLINE if k in result.summary}
    comparison = pd.DataFrame({"with filters": result.summary, "without filters": unfiltered}).loc[list(HEADLINE)]
    return dg.Output(result, metadata={
        **{k: dg.MetadataValue.float(ratio(v)) for k, v in summary.items()},
        "first_date": str(result.equity.index[0].date()), "last_date": str(result.equity.index[-1].date()),
        "final_equity": money(result.equity.iloc[-1]), "refused_entries": len(result.refusals),
        "filters_effect": table_preview(comparison.rename_axis("metric")),
        "equity_curve": png_markdown(equity_curve_png(result), "equity curve"),
    })


@dg.asset(group_name=GROUP, kinds={"pandas"})
def target_positions(backtest_results: BacktestResult) -> dg.Output[pd.DataFrame]:
    """Risk-sized targets per day, pair and leg, in whole shares/contracts (lot-size rounded), decided
    at each close and filled at the next price; the newest session is what execution trades next.
    They are the backtest's own positions, so paper trading trades exactly what was measured."""
    legs = backtest_results.leg_positions
    latest_day = backtest_results.equity.index[-1]
    latest = legs[pd.to_datetime(legs["date"]) == latest_day]
    return dg.Output(legs, metadata={
        **frame_metadata(legs), "latest_session": str(latest_day.date()),
        "latest_open_legs": int((latest["units"] != 0).sum()),
        "latest_targets": table_preview(latest) if len(latest) else "flat",
    })


@dg.asset(group_name=GROUP, kinds={"html", "mlflow"})
def performance_report(context: dg.AssetExecutionContext, strategy: StrategyResource, mlflow: MLflowResource,
                       price_sources: PriceSourcesResource, backtest_results: BacktestResult) -> dg.Output[str]:
    """HTML tear sheet (equity, drawdown, monthly heat map, rolling Sharpe, per-pair contribution,
    trades), written under the data dir and logged to MLflow as an artifact, with the full strategy
    configuration, date range, price sources and Dagster run id."""
    config = strategy.config()
    path = write_tearsheet(backtest_results, config.strategy_id, data_dir() / "reports")
    dates = backtest_results.equity.index
    provenance = BacktestProvenance(
        strategy=dataclasses.asdict(config), first_date=str(dates[0].date()), last_date=str(dates[-1].date()),
        sources={c: price_sources.config().kind_for(c) for c in ASSET_CLASSES}, dagster_run_id=context.run_id)
    run_id = log_backtest_run(mlflow.store(), config.strategy_id, config.params().to_dict(),
                              backtest_results.summary, tearsheet=path, provenance=provenance)
    return dg.Output(str(path), metadata={
        "path": dg.MetadataValue.path(str(path)), "mlflow_run_id": run_id,
        "drawdown": png_markdown(drawdown_png(backtest_results.returns), "drawdown"),
        "monthly_returns": png_markdown(monthly_heatmap_png(backtest_results.returns), "monthly returns")})
