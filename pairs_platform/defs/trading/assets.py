"""[trading] signals, risk-sized target positions, the walk-forward backtest and its report."""
import dataclasses

import dagster as dg
import pandas as pd

from pairs_platform.backtest import BacktestResult
from pairs_platform.defs.models.live import current_champion, version_label
from pairs_platform.defs.shared.metadata import frame_metadata, money, png_markdown, table_preview
from pairs_platform.defs.shared.resources import MLflowResource, PriceSourcesResource, data_dir
from pairs_platform.research.placebo import BacktestSpec
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.ml import regime_allows_entry
from pairs_platform.ml.live_model import champion_segments
from pairs_platform.ml.walkforward import predict_walk_forward
from pairs_platform.reporting.plots import drawdown_png, monthly_heatmap_png
from pairs_platform.research.headline import REAL, SYNTHETIC, Headline, build_headline
from pairs_platform.reporting.integrity import SLEEVE_LABELS, edge_line, integrity_markdown
from pairs_platform.reporting.provenance import Provenance, code_version
from pairs_platform.reporting.tearsheet import Honesty, equity_curve_png, write_tearsheet
from pairs_platform.signals.entries import EntryRules, entry_counts, entry_mask, entry_signals, filter_variants
from pairs_platform.signals.spreads import SpreadPanel
from pairs_platform.identifiers import ASSET_CLASSES
from pairs_platform.tracking.backtest import BacktestProvenance, log_backtest_run

GROUP = "trading"


@dg.asset(group_name=GROUP, kinds={"pandas", "mlflow"})
def signals(strategy: StrategyResource, mlflow: MLflowResource, spreads: SpreadPanel, ml_features: pd.DataFrame,
            signal_model: dict, regimes: pd.Series) -> dg.Output[pd.DataFrame]:
    """Per day and pair in its trading window: z-score, entry zone (z-score rule), the ML filter's
    P(reversion) and verdict, the regime verdict, and whether an entry is allowed. The ML verdicts
    are the walk-forward models' up to the registry champion's cutoff and the champion's
    (``models:/<name>@champion``) from then on; with no champion yet, the walk-forward models'."""
    config = strategy.config()
    rules = EntryRules(entry_z=config.entry_z, stop_z=config.stop_z, use_ml_filter=config.use_ml_filter,
                       use_regime_filter=config.use_regime_filter)
    champion = current_champion(mlflow)
    segments = champion_segments(signal_model["segments"], None if champion is None else champion.filter)
    table = entry_signals(spreads, predict_walk_forward(segments, ml_features), regime_allows_entry(regimes), rules)
    return dg.Output(table, metadata={
        **frame_metadata(table), **entry_counts(table), "champion_version": version_label(champion),
        "champion_cutoff": "" if champion is None else str(pd.Timestamp(champion.filter.cutoff).date())})


def _headline(config, price_panel: pd.DataFrame, pair_universe: pd.DataFrame, instruments: pd.DataFrame,
              signals: pd.DataFrame) -> Headline:
    spec = BacktestSpec(price_panel, pair_universe, instruments, config.params(), config.costs(),
                        config.limits(), config.capital)
    dates = price_panel.index
    return build_headline(spec, entry_mask(signals, dates, pair_universe),
                          filter_variants(signals, dates, pair_universe))


def _md_table(frame: pd.DataFrame) -> dg.MetadataValue:
    return dg.MetadataValue.md(frame.astype(float).round(4).to_markdown())


@dg.asset(group_name=GROUP, kinds={"pandas"})
def backtest_results(strategy: StrategyResource, price_panel: pd.DataFrame, pair_universe: pd.DataFrame,
                     instruments: pd.DataFrame, signals: pd.DataFrame) -> dg.Output[BacktestResult]:
    """Walk-forward simulation of the whole strategy up to the newest session (pairs, hedges, models
    chosen on past data only): equity curve, trades, per-pair P&L, exposures, refused entries and
    metrics, net of costs. Its positions on the newest session are what execution trades next.
    The metadata's headline (``real_*``) is the pairs with only real data, each Sharpe with its
    PSR and 95% CI; pairs with a synthetic leg are reported apart (``synthetic_*``, not evidence)."""
    head = _headline(strategy.config(), price_panel, pair_universe, instruments, signals)
    result, table = head.result, head.table
    sleeve_keys = ("sharpe", "psr", "sharpe_low", "sharpe_high", "cagr", "max_drawdown", "trade_count", "net_pnl")
    return dg.Output(result, metadata={
        **{f"real_{k}": dg.MetadataValue.float(round(float(table.loc[REAL, k]), 4)) for k in sleeve_keys},
        "edge": edge_line(table),
        **{f"synthetic_{k}": dg.MetadataValue.float(round(float(table.loc[SYNTHETIC, k]), 4))
           for k in ("sharpe", "psr", "net_pnl")},
        "sleeves": _md_table(table.rename(index=SLEEVE_LABELS)),
        "integrity": dg.MetadataValue.md(integrity_markdown(table)),
        "first_date": str(result.equity.index[0].date()), "last_date": str(result.equity.index[-1].date()),
        "traded_final_equity": money(result.equity.iloc[-1]), "refused_entries": len(result.refusals),
        "filters_effect": _md_table(head.ablation),
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
                       price_sources: PriceSourcesResource, price_panel: pd.DataFrame,
                       pair_universe: pd.DataFrame, instruments: pd.DataFrame, signals: pd.DataFrame,
                       backtest_results: BacktestResult) -> dg.Output[str]:
    """HTML tear sheet headlined by the real-data pairs (PSR, confidence interval), the synthetic-leg
    pairs apart and marked, then the traded book (equity, drawdown, monthly heat map, rolling
    Sharpe, per-pair contribution, yearly returns, worst drawdowns, the return distribution, trades),
    headed by its provenance (Dagster run id, git commit, price source per asset class); written under
    the data dir and logged to MLflow with the full strategy configuration, date range, price
    sources, Dagster run id and git commit."""
    config = strategy.config()
    head = _headline(config, price_panel, pair_universe, instruments, signals)
    honesty = Honesty(head.sleeves, instruments, integrity_markdown(head.table))
    dates = backtest_results.equity.index
    span = (str(dates[0].date()), str(dates[-1].date()))
    sources = {c: price_sources.config().kind_for(c) for c in ASSET_CLASSES}
    made = Provenance(run_id=context.run_id, code_version=code_version(), sources=sources, data_range=span)
    path = write_tearsheet(backtest_results, config.strategy_id, data_dir() / "reports", honesty, made)
    provenance = BacktestProvenance(strategy=dataclasses.asdict(config), first_date=span[0], last_date=span[1],
                                    sources=sources, dagster_run_id=context.run_id, code_version=made.code_version)
    run_id = log_backtest_run(mlflow.store(), config.strategy_id, config.params().to_dict(), head.real(),
                              tearsheet=path, synthetic=head.table.loc[SYNTHETIC].to_dict(),
                              traded=head.table.loc["all"].to_dict(), provenance=provenance)
    return dg.Output(str(path), metadata={
        "path": dg.MetadataValue.path(str(path)), "mlflow_run_id": run_id, "code_version": made.code_version,
        "equity_curve": png_markdown(equity_curve_png(head.sleeves[REAL]), "real-data equity curve"),
        "drawdown": png_markdown(drawdown_png(backtest_results.returns), "drawdown"),
        "monthly_returns": png_markdown(monthly_heatmap_png(backtest_results.returns), "monthly returns")})
