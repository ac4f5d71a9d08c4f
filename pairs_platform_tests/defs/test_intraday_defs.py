"""The intraday assets: bars stored one file per session, targets from the warm-up window, paper orders."""
import dagster as dg
import pandas as pd

from conftest import make_defs, run_range

START, END = "2024-03-01", "2024-03-18"  # 12 sessions: 10 warm-up + 2 traded


def test_intraday_sessions_materialize_and_paper_trade_idempotently(tmp_path):
    defs = make_defs(tmp_path)
    with dg.DagsterInstance.ephemeral() as instance:
        assert run_range(defs, instance, "intraday_pipeline", START, END).success
        files = sorted(p.name for p in (tmp_path / "assets" / "intraday_bars").rglob("*.parquet"))
        assert len(files) == 12  # one file per session, not per bar
        job = defs.resolve_job_def("intraday_paper")
        first = job.execute_in_process(instance=instance, partition_key="2024-03-18")
        orders = first.output_for_node("intraday_paper_orders")
        assert len(orders) > 0 and orders["bar"].nunique() > 1
        assert (pd.to_datetime(orders["session"]) == pd.Timestamp("2024-03-18")).all()
        again = job.execute_in_process(instance=instance, partition_key="2024-03-18")
        assert len(again.output_for_node("intraday_paper_orders")) == 0  # a re-run sends nothing twice
