"""[models] schedules: the weekly retraining."""
import dagster as dg

from pairs_platform.defs.models.jobs import retrain_models
from pairs_platform.defs.shared.partitions import CALENDAR_TIMEZONE

weekly_retrain = dg.ScheduleDefinition(
    name="weekly_retrain", job=retrain_models, cron_schedule="0 6 * * 6", execution_timezone=CALENDAR_TIMEZONE,
    description="Saturday 06:00 New York: retrain the models and refresh the backtest report.")
