"""[intraday] sensors: new intraday targets launch the paper orders of their session."""
import dagster as dg

from pairs_platform.defs.intraday.jobs import intraday_paper_job
from pairs_platform.defs.shared.partitions import latest_session_request


@dg.asset_sensor(asset_key=dg.AssetKey("intraday_targets"), job=intraday_paper_job, minimum_interval_seconds=60)
def intraday_paper_on_new_targets(context: dg.SensorEvaluationContext, asset_event: dg.EventLogEntry):
    """New intraday targets -> paper orders for their session."""
    return latest_session_request(asset_event, "intraday-paper", "intraday targets")
