"""The tear sheet is one self-contained HTML page with every required section."""
import base64
import re

from pairs_platform.backtest import StrategyParams, run_backtest
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from pairs_platform.reporting.plots import monthly_returns
from pairs_platform.reporting.tearsheet import equity_curve_png, render_tearsheet
from synth_backtest_data import ols_selector, synthetic_prices


def test_tearsheet_sections_and_images():
    prices = synthetic_prices(700, 4, seed=5)
    schedule = build_pair_schedule(prices, walk_forward_windows(prices.index, 250, 120),
                                   ols_selector([("EQ:S0", "EQ:S1"), ("EQ:S2", "EQ:S3")]))
    res = run_backtest(prices, schedule, params=StrategyParams(entry_z=1.5))
    page = render_tearsheet(res, "Synthetic <test>")
    assert page.startswith("<!DOCTYPE html>") and "Synthetic &lt;test&gt;" in page
    for section in ("Summary", "Equity", "Monthly returns", "Rolling Sharpe", "Per-pair contribution", "Trades"):
        assert f"<h2>{section}</h2>" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 7 and all(base64.b64decode(i)[:8] == b"\x89PNG\r\n\x1a\n" for i in images)
    assert "http" not in page.replace("http-equiv", "")  # nothing fetched from outside
    assert res.trades["pair_id"].iloc[0] in page
    assert equity_curve_png(res)[:4] == b"\x89PNG"
    table = monthly_returns(res.returns)
    assert (1 + table.stack()).prod() - 1 == __import__("pytest").approx(res.summary["total_return"])


def test_tearsheet_of_a_flat_book():
    prices = synthetic_prices(300, 4, seed=5)
    empty = build_pair_schedule(prices, walk_forward_windows(prices.index, 250, 40), lambda f: None)
    page = render_tearsheet(run_backtest(prices, empty), "flat")
    assert "<h2>Trades</h2>" in page and page.count("data:image/png;base64,") == 7
