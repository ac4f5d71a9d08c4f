"""The whole graph on the embedded default: materialization, re-runs, paper orders, checks, guards."""
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from pairs_platform.data.sources.bundled import load_bundled_wide
from pairs_platform.execution import Ledger
from pairs_platform.execution.errors import LiveTradingDisabled
from pairs_platform.store import AssetStore

from pairs_platform_tests.defs.graph_support import END, START, run_range


def _materialized(result):
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def test_pipeline_materializes_every_research_and_trading_asset(pipeline):
    defs, _, root, result = pipeline
    assert result.success
    expected = {"instruments", "raw_prices/equity", "raw_prices/future", "raw_prices/fixed_income",
                "raw_prices/crypto", "cleaned_prices", "price_panel", "pair_universe", "spreads", "regimes",
                "ml_features", "signal_model", "signals", "target_positions", "backtest_results",
                "performance_report"}
    assert expected <= _materialized(result)
    months = sorted(p.stem for p in (root / "assets" / "cleaned_prices").iterdir())
    cleaned = pd.concat([pd.read_parquet(root / "assets" / "cleaned_prices" / f"{m}.parquet") for m in months])
    real_sessions = load_bundled_wide().loc[START:END].index
    assert months == sorted(set(real_sessions.strftime("%Y-%m")))  # one partition per month
    # every real NYSE session, holidays excluded, and nothing else
    assert pd.DatetimeIndex(sorted(pd.to_datetime(cleaned["session"]).unique())).equals(
        pd.DatetimeIndex(real_sessions.values))


def test_no_pair_is_chosen_with_data_from_its_own_trading_window(pipeline):
    _, _, root, _ = pipeline
    universe = pd.read_parquet(root / "assets" / "pair_universe.parquet")
    assert len(universe) > 0
    assert (pd.to_datetime(universe["formation_end"]) < pd.to_datetime(universe["trade_start"])).all()


def test_cleaned_price_checks_pass_and_metadata_is_useful(pipeline):
    defs, instance, _, result = pipeline
    checks = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"
              and e.event_specific_data.asset_key == dg.AssetKey("cleaned_prices")]
    assert {c.check_name for c in checks} >= {"positive_finite_closes", "no_duplicate_bars",
                                              "every_instrument_every_session"}
    # prices_fresh compares with today's calendar: the 2022 test data is stale by design (WARN)
    assert all(c.passed for c in checks if c.check_name not in ("forward_fill_within_tolerance", "prices_fresh"))
    report = instance.get_latest_materialization_event(dg.AssetKey("performance_report")).asset_materialization
    assert report.metadata["equity_curve"].value.startswith("![real-data equity curve](data:image/png;base64,")


def test_backtest_headline_is_real_data_with_psr_and_interval(pipeline):
    _, instance, _, _ = pipeline
    meta = instance.get_latest_materialization_event(dg.AssetKey("backtest_results")).asset_materialization.metadata
    assert {"real_sharpe", "real_psr", "real_sharpe_low", "real_sharpe_high", "real_cagr", "real_trade_count",
            "synthetic_sharpe", "sleeves", "edge", "integrity", "filters_effect"} <= set(meta)
    assert "sharpe" not in meta and "cagr" not in meta  # no unlabelled whole-book headline
    sleeves = meta["sleeves"].value
    assert sleeves.index("real data only") < sleeves.index("synthetic leg (not evidence)")
    ablation = meta["filters_effect"].value
    assert all(variant in ablation for variant in ("none", "regime", "ml", "both"))
    assert meta["integrity"].value.startswith("- real data only")
    assert "Real data" in meta["edge"].value


def test_pair_universe_reports_tests_and_expected_false_pairs(pipeline):
    _, instance, _, _ = pipeline
    meta = instance.get_latest_materialization_event(dg.AssetKey("pair_universe")).asset_materialization.metadata
    assert int(meta["tests_run"].value) > 0
    assert 0.0 <= float(meta["expected_false_per_window"].value) <= float(meta["expected_false_discoveries"].value)
    steps = [record.data["step"] for record in meta["funnel"].value.records]
    assert steps[0] == "candidates" and steps[-1] == "selected" and "passed_test" in steps
    assert all(record.data["explanation"] for record in meta["funnel"].value.records)


def test_tear_sheet_headlines_real_data_and_marks_synthetic_pairs(pipeline):
    _, instance, root, _ = pipeline
    page = open(AssetStore(root / "assets").load(["performance_report"]), encoding="utf-8").read()
    assert page.index("Headline: real data only") < page.index("Synthetic-leg pairs (synthetic data, not evidence)")
    assert "PSR" in page and "SYNTHETIC" in page
    for section in ("Provenance", "Yearly returns", "Worst drawdowns", "Return distribution"):
        assert f"<h2>{section}</h2>" in page
    assert "data source: equity" in page and "Dagster run id" in page


def test_every_asset_has_a_group_and_a_description(pipeline):
    defs = pipeline[0]
    for spec in defs.resolve_all_asset_specs():
        assert spec.group_name and spec.group_name != "default", spec.key
        assert spec.description and len(spec.description) > 30, spec.key


def test_rematerializing_a_month_replaces_it_and_leaves_the_others(pipeline):
    defs, instance, root, _ = pipeline
    folder = root / "assets" / "cleaned_prices"
    before = {p.name: (p.stat().st_mtime_ns, pd.read_parquet(p)) for p in folder.iterdir()}
    session = "2022-06-15"
    result = run_range(defs, instance, "pairs_pipeline", session, session,
                       asset_selection=[dg.AssetKey(["raw_prices", c]) for c in
                                        ("equity", "future", "fixed_income", "crypto")] + [dg.AssetKey("cleaned_prices")])
    assert result.success
    after = {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}
    changed = {name for name in after if after[name] != before[name][0]}
    assert changed == {"2022-06.parquet"}  # the month holding the session, nothing else
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "2022-06.parquet"), before["2022-06.parquet"][1])


def test_paper_execution_is_idempotent(pipeline):
    defs, instance, root, _ = pipeline
    targets = pd.read_parquet(root / "assets" / "target_positions.parquet")
    active = sorted(pd.to_datetime(targets.loc[targets["units"] != 0, "date"]).unique())
    assert active, "the short pipeline should hold at least one position"
    first = pd.Timestamp(active[-1]) - pd.tseries.offsets.BDay(5)
    sessions = defs.resolve_job_def("paper_execution").partitions_def.get_partition_keys_in_range(
        dg.PartitionKeyRange(str(first.date()), END))
    sessions = [s for s in sessions if s >= str(first.date())]
    first_run = run_range(defs, instance, "paper_execution", sessions[0], sessions[-1])
    paper = first_run.asset_materializations_for_node("paper_executions")
    sent = paper[-1].metadata["orders_sent_in_run"].value
    per_session = {e.partition: e.metadata["orders_sent"].value for e in paper}
    assert set(per_session) == set(sessions) and sum(per_session.values()) == sent  # each its own orders
    _check_daily_reports(first_run, sessions, root)
    again = run_range(defs, instance, "paper_execution", sessions[-1], sessions[-1])
    assert again.asset_materializations_for_node("paper_executions")[-1].metadata["orders_sent_in_run"].value == 0
    with Ledger(f"sqlite:///{root / 'ledger.db'}") as ledger:
        orders = ledger.orders_frame()
    assert sent > 0 and len(orders) == sent
    assert orders["client_order_id"].is_unique


def _check_daily_reports(run, sessions: list[str], root) -> None:
    """The paper job's daily P&L reports: one per session with its own figures, adding up."""
    meta = {e.partition: e.metadata for e in run.asset_materializations_for_node("daily_pnl_report")}
    assert set(meta) == set(sessions)
    cumulative = [meta[s]["cumulative_pnl"].value for s in sessions]
    daily = sum(meta[s]["daily_pnl"].value for s in sessions[1:])
    assert daily == pytest.approx(cumulative[-1] - cumulative[0], abs=0.01 * len(sessions))  # cents rounding
    assert sum(meta[s]["fills"].value for s in sessions[1:]) > 0  # the run's orders filled
    for session in sessions:
        assert Path(meta[session]["report"].value) == root / "reports" / "daily" / f"pairs_v1_{session}.md"
        assert f"session {session}" in Path(meta[session]["report"].value).read_text()


def test_live_execution_refuses_unless_enabled(pipeline):
    defs, instance, _, _ = pipeline
    with pytest.raises(LiveTradingDisabled, match="live trading is disabled"):
        run_range(defs, instance, "live_execution", END, END)


def test_signal_model_is_registered_in_mlflow(pipeline):
    _, instance, root, _ = pipeline
    meta = instance.get_latest_materialization_event(dg.AssetKey("signal_model")).asset_materialization.metadata
    version = meta["model_version"].value
    assert version and int(version) >= 1
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{root / 'mlflow' / 'mlflow.db'}")
    alias = "champion" if meta["gate_promoted"].value else "challenger"  # issue 11: only the gate promotes
    assert str(client.get_model_version_by_alias("pairs_entry_filter", alias).version) == version
    assert "Entry filter of the pairs-trading strategy" in client.get_registered_model("pairs_entry_filter").description
    report = instance.get_latest_materialization_event(dg.AssetKey("performance_report"))
    backtest_run = client.get_run(report.asset_materialization.metadata["mlflow_run_id"].value)
    assert backtest_run.data.tags["dagster.run_id"] == report.run_id  # the run that made the report
    assert backtest_run.data.tags["pairs_platform.source.equity"] == "bundled"
    assert backtest_run.data.params["strategy.formation_days"] == "120"
    model = AssetStore(root / "assets").load(["signal_model"])
    trained = [s for s in model["segments"] if s.model is not None]
    assert all(s.model.cutoff == s.start for s in trained)  # each model scores only dates after its cutoff


def test_parameter_search_logs_one_child_run_per_trial(pipeline):
    defs, instance, root, _ = pipeline
    result = defs.resolve_job_def("optimize_strategy").execute_in_process(instance=instance)
    assert result.success
    meta = result.get_asset_materialization_events()[-1].materialization.metadata
    trials = int(meta["trials"].value)
    assert trials == 3 * 2 * 2 * 2
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{root / 'mlflow' / 'mlflow.db'}")
    parent = meta["mlflow_parent_run_id"].value
    experiment = client.get_run(parent).info.experiment_id
    children = client.search_runs([experiment], filter_string=f"tags.mlflow.parentRunId = '{parent}'")
    assert len(children) == trials
    for key in ("deflated_sharpe_ratio", "pbo", "expected_max_sharpe", "n_trials", "trial_sharpe_std"):
        assert key in meta, key
    assert client.get_run(parent).data.metrics["n_trials"] == trials
    assert "PBO" in meta["integrity"].value


def test_filter_placebos_run_on_demand_only_and_give_verdicts(pipeline, monkeypatch):
    defs, instance, _, result = pipeline
    assert "filter_placebos" not in _materialized(result)  # not part of pairs_pipeline
    import pairs_platform.defs.models.assets as models

    monkeypatch.setattr(models, "ML_PLACEBO_RUNS", 2)  # the job runs 50 and 200; the wiring is what is tested
    monkeypatch.setattr(models, "REGIME_PLACEBO_RUNS", 3)
    run = defs.resolve_job_def("filter_evidence").execute_in_process(instance=instance)
    assert run.success
    meta = run.get_asset_materialization_events()[-1].materialization.metadata
    for name in ("ml", "regime"):
        assert 0.0 < float(meta[f"{name}_p_value"].value) <= 1.0
        assert meta[f"{name}_verdict"].value in ("keep off", "may be on")
    assert "use_ml_filter=False, use_regime_filter=False" == meta["configured"].value


def test_the_daily_run_reuses_every_screened_window(pipeline):
    """After the close nothing new is screened: the formation windows' prices are unchanged, so
    ``pair_universe`` takes every window from the screening memo and its schedule is the stored one."""
    defs, instance, root, _ = pipeline
    before = pd.read_parquet(root / "assets" / "pair_universe.parquet")
    result = run_range(defs, instance, "daily_pipeline", END, END, asset_selection=[dg.AssetKey("pair_universe")])
    assert result.success
    meta = instance.get_latest_materialization_event(dg.AssetKey("pair_universe")).asset_materialization.metadata
    assert meta["windows_reused"].value == meta["windows"].value > 0 and meta["windows_screened"].value == 0
    pd.testing.assert_frame_equal(pd.read_parquet(root / "assets" / "pair_universe.parquet"), before, check_exact=True)
