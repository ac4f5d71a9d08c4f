"""Jobs, schedules and sensors: the daily chain after the close, retraining, paper and live execution."""
from zoneinfo import ZoneInfo

import dagster as dg

from pairs_platform.defs.partitions import CALENDAR_TIMEZONE, trading_day_partitions

MARKET_DATA = dg.AssetSelection.groups("market_data")
RESEARCH = dg.AssetSelection.groups("research")
MODELS = dg.AssetSelection.groups("models")
TRADING = dg.AssetSelection.groups("trading")
NEW_YORK = ZoneInfo(CALENDAR_TIMEZONE)

SEARCH = dg.AssetSelection.assets("parameter_search")

pairs_pipeline = dg.define_asset_job(
    "pairs_pipeline", selection=(MARKET_DATA | RESEARCH | MODELS | TRADING) - SEARCH,
    description="The whole research-to-targets graph for a range of sessions (single-run backfill).")
daily_pipeline = dg.define_asset_job(
    "daily_pipeline", selection=(MARKET_DATA | RESEARCH | TRADING) - dg.AssetSelection.assets("performance_report"),
    description="After the close: the session's prices, then pairs, signals and target positions "
                "with the current models (no retraining).")
optimize_strategy = dg.define_asset_job(
    "optimize_strategy", selection=SEARCH,
    description="Walk-forward grid search of the strategy's parameters, one MLflow child run per trial.")
retrain_models = dg.define_asset_job(
    "retrain_models", selection=(MODELS - SEARCH) | dg.AssetSelection.assets("backtest_results", "performance_report"),
    description="Walk-forward retraining of the entry filter, then the backtest and its report.")
paper_execution_job = dg.define_asset_job(
    "paper_execution", selection=dg.AssetSelection.assets("paper_executions"),
    description="Paper orders of one session (launched by the target_positions sensor).")
live_execution_job = dg.define_asset_job(
    "live_execution", selection=dg.AssetSelection.assets("live_executions"),
    description="Live orders through Interactive Brokers; refuses unless live trading is enabled.")


@dg.schedule(job=daily_pipeline, cron_schedule="30 18 * * 1-5", execution_timezone=CALENDAR_TIMEZONE)
def daily_after_close(context: dg.ScheduleEvaluationContext):
    """18:30 New York on weekdays: materialize that session (holidays are skipped)."""
    session = context.scheduled_execution_time.astimezone(NEW_YORK).strftime("%Y-%m-%d")
    if not trading_day_partitions.has_partition_key(session):
        return dg.SkipReason(f"{session} is not a trading session")
    return dg.RunRequest(run_key=f"daily-{session}", partition_key=session)


weekly_retrain = dg.ScheduleDefinition(
    name="weekly_retrain", job=retrain_models, cron_schedule="0 6 * * 6", execution_timezone=CALENDAR_TIMEZONE,
    description="Saturday 06:00 New York: retrain the models and refresh the backtest report.")


@dg.asset_sensor(asset_key=dg.AssetKey("target_positions"), job=paper_execution_job,
                 minimum_interval_seconds=60)
def paper_on_new_targets(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """New target positions -> paper orders for their latest session (never for historical ones)."""
    materialization = asset_event.asset_materialization
    session = str(materialization.metadata["latest_session"].value) if materialization else ""
    if not trading_day_partitions.has_partition_key(session):
        return dg.SkipReason(f"target positions name no trading session ({session!r})")
    return dg.RunRequest(run_key=f"paper-{session}-{asset_event.run_id}", partition_key=session)
