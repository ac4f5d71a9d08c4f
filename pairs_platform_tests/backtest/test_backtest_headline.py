"""The honest headline: real-data sleeve first with PSR and CI, synthetic apart and marked, ablation
on real pairs, and the MLflow run keyed by the real sleeve."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.research.placebo import BacktestSpec, FilterInputs, restrict
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from pairs_platform.research.headline import REAL, SYNTHETIC, build_headline, sharpe_evidence
from pairs_platform.reporting.integrity import edge_line, integrity_markdown, placebo_table
from pairs_platform.reporting.tearsheet import Honesty, render_tearsheet
from pairs_platform.signals.spreads import pair_ids
from synth_backtest_data import instrument_table, ols_selector, synthetic_prices

PAIRS = [("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3"), ("EQ:S4", "EQ:S5")]


@pytest.fixture(scope="module")
def headline():
    prices = synthetic_prices(700, 6, seed=5)
    schedule = build_pair_schedule(prices, walk_forward_windows(prices.index, 200, 120), ols_selector(PAIRS))
    instruments = instrument_table(prices.columns)
    instruments["data_source"] = ["bundled"] * 4 + ["synthetic"] * 2  # S4 and S5 are made up
    spec = BacktestSpec(prices, schedule, instruments)
    regime = np.ones((len(prices), len(schedule)), dtype=bool)
    regime[::4] = False
    variants = {"none": None, "regime": regime, "ml": np.ones_like(regime), "both": regime}
    return build_headline(spec, None, variants), schedule, instruments


def test_sharpe_evidence_has_a_psr_and_an_interval_and_is_nan_when_flat():
    rng = np.random.default_rng(0)
    good = sharpe_evidence(rng.normal(0.002, 0.01, 1000))
    assert good["sharpe_low"] < good["sharpe"] < good["sharpe_high"] and good["psr"] > 0.99
    flat = sharpe_evidence(np.zeros(300))
    assert all(np.isnan(v) for v in flat.values())


def test_real_sleeve_leads_with_its_evidence_and_ablation_runs_on_real_pairs(headline):
    head, schedule, _ = headline
    assert list(head.table.index) == [REAL, SYNTHETIC, "all"]
    assert {"psr", "sharpe_low", "sharpe_high"} <= set(head.table.columns)
    assert head.result is head.sleeves["all"]
    assert head.real()["pairs_scheduled"] == (~schedule["y"].eq("EQ:S4")).sum()
    assert list(head.ablation.index) == ["none", "regime", "ml", "both"]
    none, ml = head.ablation.loc["none"], head.ablation.loc["ml"]
    assert none["sharpe"] == pytest.approx(ml["sharpe"])  # an all-True mask is no filter
    assert none["trade_count"] == head.real()["trade_count"]  # the ablation is the real sleeve's
    assert head.ablation.loc["regime", "trade_count"] <= none["trade_count"]


def test_edge_line_says_plainly_when_real_data_has_no_edge():
    row = dict(pairs_scheduled=4.0, net_pnl=-10.0, cagr=-0.01, sharpe=0.3, max_drawdown=-0.05, annual_volatility=0.1,
               trade_count=12.0, hit_rate=0.5, psr=0.7, sharpe_low=-0.4, sharpe_high=1.0, sharpe_se=0.36)
    table = pd.DataFrame({REAL: row, SYNTHETIC: {**row, "sharpe": 3.0}, "all": row}).T
    assert edge_line(table).startswith("Real data shows NO reliable edge")
    assert "[95% CI -0.40, +1.00], PSR 0.70" in integrity_markdown(table).splitlines()[0]
    assert "synthetic leg (not evidence)" in integrity_markdown(table).splitlines()[1]
    assert edge_line(table.assign(trade_count=0.0)).startswith("Real data: no trades")
    assert edge_line(table.assign(sharpe_low=0.1)).startswith("Real data shows an edge")


def test_tear_sheet_puts_real_data_first_and_marks_synthetic_pairs(headline):
    head, _, instruments = headline
    page = render_tearsheet(head.result, "t", Honesty(head.sleeves, instruments, integrity_markdown(head.table)))
    assert page.index("Headline: real data only") < page.index("Synthetic-leg pairs (synthetic data, not evidence)")
    assert page.index("Synthetic-leg pairs") < page.index("All pairs (the traded book")
    assert "<td>SYNTHETIC</td>" in page and "<td>real</td>" in page
    assert "Headline" not in render_tearsheet(head.result, "t")  # the plain sheet is unchanged


def test_restrict_keeps_only_the_rows_features_and_labels_of_the_real_pairs(headline):
    head, schedule, instruments = headline
    ids = pair_ids(schedule)
    index = pd.MultiIndex.from_product([pd.bdate_range("2020-01-01", periods=3), ids], names=["date", "pair_id"])
    frame = pd.DataFrame({"f": 1.0, "label": 1.0}, index=index)
    filt = FilterInputs(frame[["f"]], frame[["label"]], [], pd.Series(dtype=bool), ids)
    rows = ~schedule["y"].eq("EQ:S4").to_numpy()
    spec, kept = restrict(BacktestSpec(head.result.equity.to_frame(), schedule, instruments), filt, rows)
    assert len(spec.schedule) == rows.sum() and kept.pair_ids == [p for p, r in zip(ids, rows) if r]
    assert set(kept.features.index.get_level_values("pair_id")) == set(kept.pair_ids)
    with pytest.raises(ValueError, match="one flag per schedule row"):
        restrict(spec, filt, rows[:1])


def test_placebo_table_verdicts():
    from pairs_platform.research.placebo import PlaceboResult

    table = placebo_table([PlaceboResult("ml", 0.9, 0.5, np.zeros(50), 1.0, 1 / 51, tuple(range(50))),
                           PlaceboResult("regime", 0.4, 0.5, np.ones(9), 0.0, 1.0, tuple(range(10)))])
    assert table.loc["ml", "verdict"] == "may be on" and table.loc["regime", "verdict"] == "keep off"
    assert table.loc["ml", "runs"] == 50 and table.loc["regime", "seed"] == 0


def test_mlflow_backtest_run_is_keyed_by_the_real_sleeve(headline, tmp_path):
    from mlflow import MlflowClient

    from pairs_platform.tracking.backtest import log_backtest_run
    from pairs_platform.tracking.store import TrackingStore

    head, _, _ = headline
    store = TrackingStore(f"sqlite:///{tmp_path / 'mlflow.db'}", "headline_test")
    run_id = log_backtest_run(store, "pairs_v1", {"entry_z": 2.0}, head.real(),
                              synthetic=head.table.loc[SYNTHETIC].to_dict(), traded=head.table.loc["all"].to_dict())
    run = MlflowClient(store.uri).get_run(run_id)
    assert run.data.tags["data"] == "real+synthetic"
    assert run.data.metrics["sharpe"] == pytest.approx(head.real()["sharpe"])
    assert run.data.metrics["synthetic_sharpe"] == pytest.approx(head.table.loc[SYNTHETIC, "sharpe"])
    assert "psr" in run.data.metrics and "all_net_pnl" in run.data.metrics
