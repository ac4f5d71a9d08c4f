"""[operations] the job that runs the freshness check of cleaned_prices (checks only, no asset)."""
import dagster as dg

from pairs_platform.defs.operations.checks import prices_fresh

price_freshness_job = dg.define_asset_job(
    "price_freshness", selection=dg.AssetSelection.checks(prices_fresh),
    description="Is the newest cleaned-price session the expected one? (a failed check raises a stale-data alert)")
