"""[execution] jobs: paper and live orders of a session (the paper job also reports the session's P&L)."""
import dagster as dg

paper_execution_job = dg.define_asset_job(
    "paper_execution", selection=dg.AssetSelection.assets("paper_executions", "daily_pnl_report"),
    description="Paper orders of one session (launched by the target_positions sensor), then the "
                "session's daily P&L report from the ledger.")
live_execution_job = dg.define_asset_job(
    "live_execution", selection=dg.AssetSelection.assets("live_executions"),
    description="Live orders through Interactive Brokers; refuses unless live trading is enabled.")
