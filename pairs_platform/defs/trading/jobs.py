"""[trading] jobs: the whole research-to-targets pipeline, and the daily chain after the close."""
import dagster as dg

from pairs_platform.defs.models.jobs import ON_DEMAND

MARKET_DATA = dg.AssetSelection.groups("market_data")
RESEARCH = dg.AssetSelection.groups("research")
MODELS = dg.AssetSelection.groups("models")
TRADING = dg.AssetSelection.groups("trading")

pairs_pipeline = dg.define_asset_job(
    "pairs_pipeline", selection=(MARKET_DATA | RESEARCH | MODELS | TRADING) - ON_DEMAND,
    description="The whole research-to-targets graph for a range of sessions (single-run backfill).")
daily_pipeline = dg.define_asset_job(
    "daily_pipeline", selection=(MARKET_DATA | RESEARCH | TRADING) - dg.AssetSelection.assets("performance_report"),
    description="After the close: the session's prices, then pairs, signals and target positions "
                "with the current models (no retraining).")
