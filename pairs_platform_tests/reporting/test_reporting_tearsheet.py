"""The tear sheet's provenance, yearly returns, worst drawdowns, return distribution and units."""
import base64
import re
import shutil

import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest.metrics import performance_summary
from pairs_platform.reporting.provenance import Provenance, code_version
from pairs_platform.reporting.tables import DRAWDOWN_COLUMNS, worst_drawdowns, yearly_returns

DAYS = pd.DatetimeIndex(["2021-12-30", "2021-12-31", "2022-01-03", "2022-01-04", "2022-01-05", "2022-01-06",
                         "2022-01-07", "2022-01-10"])
# wealth 1.1, 0.99, 1.089, 1.21, 1.089, 1.1979, 1.331, 1.1979 (peaks 1.1, 1.21, 1.331)
RETURNS = pd.Series([0.10, -0.10, 0.10, 1.21 / 1.089 - 1, -0.10, 0.10, 1.331 / 1.1979 - 1, -0.10], index=DAYS)


def test_yearly_returns_compound_within_each_year():
    table = yearly_returns(RETURNS)
    assert list(table.columns) == ["return (%)", "sessions (days)"]
    assert table.loc[2021, "return (%)"] == pytest.approx(-1.0)  # 1.1 x 0.9 - 1
    assert table.loc[2022, "return (%)"] == pytest.approx((1.1979 / 0.99 - 1) * 100)
    assert table["sessions (days)"].tolist() == [2, 6]


def test_worst_drawdowns_by_hand():
    table = worst_drawdowns(RETURNS)
    assert list(table.columns) == DRAWDOWN_COLUMNS
    assert table["depth (%)"].tolist() == pytest.approx([-10.0, -10.0, -10.0])
    first = table.iloc[0]  # ties keep time order: the 2021-12-30 peak first
    assert (first["start"], first["trough"], first["recovery"]) == (
        pd.Timestamp("2021-12-30"), pd.Timestamp("2021-12-31"), pd.Timestamp("2022-01-04"))
    assert (first["length (days)"], first["to trough (days)"]) == (5, 1)
    last = table.iloc[2]  # not recovered: runs to the last session
    assert last["start"] == pd.Timestamp("2022-01-07") and pd.isna(last["recovery"])
    assert last["length (days)"] == 3


def test_the_deepest_drawdown_is_the_summarys_max_drawdown_and_top_limits_rows():
    rng = np.random.default_rng(3)
    returns = pd.Series(rng.normal(0.0003, 0.01, 800), index=pd.bdate_range("2019-01-01", periods=800))
    table = worst_drawdowns(returns, top=5)
    assert len(table) == 5 and table["depth (%)"].is_monotonic_increasing
    assert table["depth (%)"].iloc[0] / 100 == pytest.approx(performance_summary(returns)["max_drawdown"])
    assert (table["trough"] >= table["start"]).all()
    assert worst_drawdowns(pd.Series([0.01, 0.02], index=DAYS[:2])).empty


def test_a_loss_from_the_start_is_a_drawdown_from_the_starting_wealth():
    table = worst_drawdowns(pd.Series([-0.05, 0.02, 0.04], index=DAYS[:3]))
    assert table["depth (%)"].iloc[0] == pytest.approx(-5.0)
    assert table["start"].iloc[0] == pd.Timestamp("2021-12-29") and table["recovery"].iloc[0] == DAYS[2]


def test_code_version_is_the_commit_or_says_why_not(tmp_path, monkeypatch):
    here = code_version()
    assert re.fullmatch(r"[0-9a-f]{40}(\+dirty)?", here) or here.startswith("unknown (")
    assert code_version(env={"PAIRS_GIT_COMMIT": "abc123"}) == "abc123"
    assert code_version(tmp_path, env={}).startswith("unknown (not a git checkout")
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the PATH
    assert code_version(env={}) == "unknown (git is not installed)"


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_code_version_reads_a_repository(tmp_path):
    import subprocess

    run = lambda *a: subprocess.run(["git", "-C", str(tmp_path), *a], check=True, capture_output=True)  # noqa: E731
    run("init", "-q")
    (tmp_path / "f.txt").write_text("1")
    run("add", "f.txt")
    run("-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", "x")
    sha = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    assert code_version(tmp_path, env={}) == sha
    (tmp_path / "f.txt").write_text("2")
    assert code_version(tmp_path, env={}) == f"{sha}+dirty"


def test_the_tear_sheet_has_provenance_new_sections_and_units():
    from pairs_platform.backtest import StrategyParams, run_backtest
    from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
    from pairs_platform.reporting.tearsheet import render_tearsheet
    from pairs_platform_tests.backtest.synth_backtest_data import ols_selector, synthetic_prices

    prices = synthetic_prices(700, 4, seed=5)
    schedule = build_pair_schedule(prices, walk_forward_windows(prices.index, 250, 120),
                                   ols_selector([("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3")]))
    res = run_backtest(prices, schedule, params=StrategyParams(entry_z=1.5))
    made = Provenance("run-42", "deadbeef", {"equity": "bundled", "crypto": "synthetic"}, ("2020-01-01", "2022-01-01"))
    page = render_tearsheet(res, "t", provenance=made)
    for section in ("Provenance", "Yearly returns", "Worst drawdowns", "Return distribution"):
        assert f"<h2>{section}</h2>" in page
    for text in ("run-42", "deadbeef", "data source: equity</th><td>bundled", "data source: crypto</th><td>synthetic",
                 "return (%)", "depth (%)", "length (days)", "pnl ($)", "costs ($)", "<th>unit</th>",
                 "<td>ratio (annualized)</td>", "count (entries)"):
        assert text in page, text
    years = yearly_returns(res.returns)
    assert f"{years['return (%)'].iloc[0]:,.2f}" in page
    assert page.index("<h2>Provenance</h2>") < page.index("<h2>Summary</h2>")
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 7 and all(base64.b64decode(i)[:4] == b"\x89PNG" for i in images)
    assert "<h2>Provenance</h2>" not in render_tearsheet(res, "t")
