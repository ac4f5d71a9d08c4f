"""[operations] the freshness check runs an hour after the daily pipeline, every day (New York time)."""
import dagster as dg

from pairs_platform.defs.operations.jobs import price_freshness_job

price_freshness_schedule = dg.ScheduleDefinition(
    job=price_freshness_job, cron_schedule="30 19 * * *", execution_timezone="America/New_York",
    default_status=dg.DefaultScheduleStatus.RUNNING)
