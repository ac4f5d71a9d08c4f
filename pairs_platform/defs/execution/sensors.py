"""[execution] sensors: new target positions launch the paper orders of their latest session."""
import dagster as dg

from pairs_platform.defs.execution.jobs import paper_execution_job
from pairs_platform.defs.shared.partitions import latest_session_request


@dg.asset_sensor(asset_key=dg.AssetKey("target_positions"), job=paper_execution_job,
                 minimum_interval_seconds=60)
def paper_on_new_targets(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """New target positions -> paper orders for their latest session (never for historical ones)."""
    return latest_session_request(asset_event, "paper", "target positions")
