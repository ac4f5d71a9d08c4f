"""[intraday] sensors: new intraday targets launch the paper orders of their session."""
import dagster as dg

from pairs_platform.defs.intraday.jobs import intraday_paper_job
from pairs_platform.defs.shared.partitions import trading_day_partitions


@dg.asset_sensor(asset_key=dg.AssetKey("intraday_targets"), job=intraday_paper_job, minimum_interval_seconds=60)
def intraday_paper_on_new_targets(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """New intraday targets -> paper orders for their session."""
    materialization = asset_event.asset_materialization
    session = str(materialization.metadata["latest_session"].value) if materialization else ""
    if not trading_day_partitions.has_partition_key(session):
        return dg.SkipReason(f"intraday targets name no trading session ({session!r})")
    return dg.RunRequest(run_key=f"intraday-paper-{session}-{asset_event.run_id}", partition_key=session)
