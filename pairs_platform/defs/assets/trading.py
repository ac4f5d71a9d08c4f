"""[trading] signals, risk-sized target positions, the walk-forward backtest and its report."""
import dagster as dg
import numpy as np
import pandas as pd

from pairs_platform.backtest import BacktestResult, run_backtest
from pairs_platform.backtest.optimize import grid_search
from pairs_platform.backtest.tracking import log_search_to_mlflow
from pairs_platform.defs.metadata import frame_metadata, png_markdown
from pairs_platform.defs.resources import MLflowResource, data_dir
from pairs_platform.defs.strategy import StrategyResource
from pairs_platform.ml import regime_allows_entry
from pairs_platform.ml.walkforward import predict_walk_forward
from pairs_platform.reporting.plots import drawdown_png, monthly_heatmap_png
from pairs_platform.reporting.tearsheet import equity_curve_png, render_tearsheet
from pairs_platform.signals.filters import entry_zone
from pairs_platform.signals.spreads import SpreadPanel, pair_ids

GROUP = "trading"
HEADLINE = ("cagr", "sharpe", "max_drawdown", "annual_volatility", "sortino", "trade_count", "hit_rate")


@dg.asset(group_name=GROUP, kinds={"pandas"})
def signals(strategy: StrategyResource, spreads: SpreadPanel, ml_features: pd.DataFrame,
            signal_model: dict, regimes: pd.Series) -> dg.Output[pd.DataFrame]:
    """Per day and pair in its trading window: z-score, entry zone (z-score rule), the walk-forward
    ML model's P(reversion) and verdict, the regime verdict, and whether an entry is allowed."""
    panel = spreads
    table = panel.to_frame().set_index(["date", "pair_id"])
    zone = entry_zone(panel.zscores, panel.mask, entry=strategy.entry_z, stop=strategy.stop_z)
    t, k = np.nonzero(panel.mask)
    table["entry_zone"] = zone[t, k]
    verdict = predict_walk_forward(signal_model["segments"], ml_features).reindex(table.index)
    table["ml_proba"] = verdict["proba"]
    table["ml_accept"] = verdict["accept"].fillna(True).astype(bool) | (not strategy.use_ml_filter)
    regime_ok = regime_allows_entry(regimes).reindex(table.index.get_level_values("date")).fillna(False)
    table["regime_ok"] = regime_ok.to_numpy()
    table["entry_allowed"] = table["ml_accept"] & table["regime_ok"]
    table = table.reset_index()
    zone_rows = table[table["entry_zone"]]
    return dg.Output(table, metadata={
        **frame_metadata(table), "entry_zone_days": len(zone_rows),
        "allowed_by_ml": int(zone_rows["ml_accept"].sum()), "allowed_by_regime": int(zone_rows["regime_ok"].sum()),
        "allowed_entries": int(zone_rows["entry_allowed"].sum()),
    })


def entry_mask(signals: pd.DataFrame, price_panel: pd.DataFrame, pair_universe: pd.DataFrame) -> np.ndarray:
    """(dates, schedule rows) mask of allowed entries from the signals table."""
    allowed = signals.pivot(index="date", columns="pair_id", values="entry_allowed")
    allowed = allowed.reindex(index=price_panel.index, columns=pair_ids(pair_universe))
    return allowed.fillna(False).to_numpy(dtype=bool)


@dg.asset(group_name=GROUP, kinds={"pandas"})
def backtest_results(strategy: StrategyResource, price_panel: pd.DataFrame, pair_universe: pd.DataFrame,
                     instruments: pd.DataFrame, signals: pd.DataFrame) -> dg.Output[BacktestResult]:
    """Walk-forward simulation of the whole strategy up to the newest session (pairs, hedges, models
    chosen on past data only): equity curve, trades, per-pair P&L, exposures, refused entries and
    metrics, net of costs. Its positions on the newest session are what execution trades next."""
    def simulate(entry_allowed):
        return run_backtest(price_panel, pair_universe, instruments, params=strategy.params(),
                            costs=strategy.costs(), limits=strategy.limits(), capital=strategy.capital,
                            entry_allowed=entry_allowed)

    result = simulate(entry_mask(signals, price_panel, pair_universe))
    unfiltered = simulate(None).summary  # the same strategy without the ML and regime filters
    summary = {k: float(result.summary[k]) for k in HEADLINE if k in result.summary}
    comparison = pd.DataFrame({"with filters": result.summary, "without filters": unfiltered}).loc[list(HEADLINE)]
    return dg.Output(result, metadata={
        **{k: dg.MetadataValue.float(round(v, 4)) for k, v in summary.items()},
        "first_date": str(result.equity.index[0].date()), "last_date": str(result.equity.index[-1].date()),
        "final_equity": float(result.equity.iloc[-1]), "refused_entries": len(result.refusals),
        "filters_effect": dg.MetadataValue.md(comparison.round(4).to_markdown()),
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
        "latest_targets": dg.MetadataValue.md(latest.to_markdown(index=False) if len(latest) else "flat"),
    })


@dg.asset(group_name=GROUP, kinds={"html", "mlflow"})
def performance_report(strategy: StrategyResource, mlflow: MLflowResource,
                       backtest_results: BacktestResult) -> dg.Output[str]:
    """HTML tear sheet (equity, drawdown, monthly heat map, rolling Sharpe, per-pair contribution,
    trades), written under the data dir and logged to MLflow as an artifact."""
    import mlflow as mlflow_client

    html = render_tearsheet(backtest_results, f"{strategy.strategy_id}: walk-forward backtest")
    path = data_dir() / "reports" / f"{strategy.strategy_id}_tearsheet.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    mlflow.activate()
    with mlflow_client.start_run(run_name=f"{strategy.strategy_id}-backtest") as run:
        mlflow_client.log_params(strategy.params().to_dict())
        mlflow_client.log_metrics({k: float(v) for k, v in backtest_results.summary.items()
                                   if isinstance(v, (int, float)) and np.isfinite(v)})
        mlflow_client.log_artifact(str(path), artifact_path="reports")
    return dg.Output(str(path), metadata={
        "path": dg.MetadataValue.path(str(path)), "mlflow_run_id": run.info.run_id,
        "drawdown": png_markdown(drawdown_png(backtest_results.returns), "drawdown"),
        "monthly_returns": png_markdown(monthly_heatmap_png(backtest_results.returns), "monthly returns")})


@dg.asset(group_name="models", kinds={"mlflow"})
def parameter_search(strategy: StrategyResource, mlflow: MLflowResource, price_panel: pd.DataFrame,
                     pair_universe: pd.DataFrame, instruments: pd.DataFrame) -> dg.Output[pd.DataFrame]:
    """Walk-forward grid search of entry, exit, stop and sizing: the parameters chosen on each trading
    window are scored on the next, and only that chained out-of-sample result is the headline. Each
    trial is an MLflow child run; the trials table is the value."""
    result = grid_search(price_panel, pair_universe, strategy.search_space(), base=strategy.params(),
                         instruments=instruments, costs=strategy.costs(), limits=strategy.limits(),
                         capital=strategy.capital)
    parent = log_search_to_mlflow(result, mlflow.experiment, mlflow.resolved_uri(),
                                  artifact_location=mlflow.artifact_location())
    headline = {f"oos_{k}": float(result.headline[k]) for k in HEADLINE if k in result.headline}
    return dg.Output(result.trials, metadata={
        **headline, "trials": len(result.trials), "mlflow_parent_run_id": parent,
        "oos_selections": dg.MetadataValue.md(result.selections.to_markdown(index=False)),
    })
