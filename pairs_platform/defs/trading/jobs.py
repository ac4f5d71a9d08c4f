"""[trading] jobs: the whole research-to-targets pipeline, and the daily chain after the close."""
import dagster as dg

MARKET_DATA = dg.AssetSelection.groups("market_data")
RESEARCH = dg.AssetSelection.groups("research")
MODELS = dg.AssetSelection.groups("models")
TRADING = dg.AssetSelection.groups("trading")
SEARCH = dg.AssetSelection.assets("parameter_search")

pairs_pipeline = dg.define_asset_job(
    "pairs_pipeline", selection=(MARKET_DATA | RESEARCH | MODELS | TRADING) - SEARCH,
    description="The whole research-to-targets graph for a range of sessions (single-run backfill).")
daily_pipeline = dg.define_asset_job(
    "daily_pipeline", selection=(MARKET_DATA | RESEARCH | TRADING) - dg.AssetSelection.assets("performance_report"),
    description="After the close: the session's prices, then pairs, signals and target positions "
                "with the current models (no retraining).")
