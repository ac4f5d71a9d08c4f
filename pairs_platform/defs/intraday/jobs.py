"""[intraday] jobs: bars and targets of a session; paper orders of a session."""
import dagster as dg

intraday_pipeline = dg.define_asset_job(
    "intraday_pipeline", selection=dg.AssetSelection.assets("intraday_bars", "intraday_targets"),
    description="Intraday bars of the sessions (one file per session) and their bar-by-bar targets.")
intraday_paper_job = dg.define_asset_job(
    "intraday_paper", selection=dg.AssetSelection.assets("intraday_paper_orders"),
    description="Paper orders of one session's bars (launched by the intraday_targets sensor).")
