"""[trading] schedules: the daily chain after the New York close."""
from zoneinfo import ZoneInfo

import dagster as dg

from pairs_platform.defs.shared.partitions import (
    CALENDAR_TIMEZONE, month_key, price_month_partitions, trading_day_partitions,
)
from pairs_platform.defs.trading.jobs import daily_pipeline

NEW_YORK = ZoneInfo(CALENDAR_TIMEZONE)


@dg.schedule(job=daily_pipeline, cron_schedule="30 18 * * 1-5", execution_timezone=CALENDAR_TIMEZONE)
def daily_after_close(context: dg.ScheduleEvaluationContext):
    """18:30 New York on weekdays: materialize that session's month of prices so far (holidays are
    skipped), then the chain after it."""
    session = context.scheduled_execution_time.astimezone(NEW_YORK).strftime("%Y-%m-%d")
    if not trading_day_partitions.has_partition_key(session):
        return dg.SkipReason(f"{session} is not a trading session")
    month = month_key(session)
    if not price_month_partitions.has_partition_key(month):
        return dg.SkipReason(f"{session}'s month {month} is outside the price partitions (PAIRS_PARTITIONS_*)")
    return dg.RunRequest(run_key=f"daily-{session}", partition_key=month)
