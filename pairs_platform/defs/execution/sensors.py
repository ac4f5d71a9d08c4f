"""[execution] sensors: new target positions launch the paper orders of their latest session."""
import dagster as dg

from pairs_platform.defs.execution.jobs import paper_execution_job
from pairs_platform.defs.shared.partitions import trading_day_partitions


@dg.asset_sensor(asset_key=dg.AssetKey("target_positions"), job=paper_execution_job,
                 minimum_interval_seconds=60)
def paper_on_new_targets(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """New target positions -> paper orders for their latest session (never for historical ones)."""
    materialization = asset_event.asset_materialization
    session = str(materialization.metadata["latest_session"].value) if materialization else ""
    if not trading_day_partitions.has_partition_key(session):
        return dg.SkipReason(f"target positions name no trading session ({session!r})")
    return dg.RunRequest(run_key=f"paper-{session}-{asset_event.run_id}", partition_key=session)
