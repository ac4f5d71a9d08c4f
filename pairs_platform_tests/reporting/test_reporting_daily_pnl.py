"""The daily P&L report against numbers computed by hand (reporting_hand_ledger) on a real SQLite ledger."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.reporting.daily_pnl import (
    PNL_COLUMNS, DailyPnlInputs, LedgerActivity, daily_pnl_table, session_pnl,
)
from pairs_platform_tests.reporting.reporting_hand_ledger import (
    BACKTEST_EQUITY, CAPITAL, CLOSES, EXPECTED, MULTIPLIERS, SESSIONS, build_ledger,
)


@pytest.fixture()
def ledger(tmp_path):
    book = build_ledger(f"sqlite:///{tmp_path / 'ledger.db'}")
    yield book
    book.close()


def _activity(ledger, strategy="s1") -> LedgerActivity:
    return LedgerActivity(ledger.fills_frame(strategy), ledger.orders_frame(strategy), ledger.refusals_frame(strategy))


def _inputs(ledger, closes=CLOSES, equity=BACKTEST_EQUITY) -> DailyPnlInputs:
    return DailyPnlInputs(_activity(ledger), closes, MULTIPLIERS, CAPITAL, equity)


def test_every_session_matches_the_hand_computed_figures(ledger):
    table = daily_pnl_table(_inputs(ledger), SESSIONS).set_index("session")
    assert list(table.reset_index().columns) == PNL_COLUMNS
    for column in EXPECTED.columns:
        np.testing.assert_allclose(table[column].to_numpy(float), EXPECTED[column].to_numpy(float),
                                   atol=1e-9, err_msg=column)
    np.testing.assert_allclose(table["commission"], [0.0, 3.0, 3.0, 1.0])
    np.testing.assert_allclose(table["equity"], CAPITAL + EXPECTED["cumulative_pnl"].to_numpy())
    np.testing.assert_allclose(table["gross_exposure_pct"], [0.0, 19.8, 6.24, 4.0])
    np.testing.assert_allclose(table["daily_pnl_vs_backtest"].iloc[1:], [7.0, 11.0, 15.0])


def test_daily_pnl_is_realized_plus_the_change_in_unrealized(ledger):
    table = daily_pnl_table(_inputs(ledger), SESSIONS)
    change = table["unrealized_pnl"].diff().fillna(table["unrealized_pnl"].iloc[0])
    np.testing.assert_allclose(table["daily_pnl"], table["realized_pnl"] + change)


def test_one_session_needs_the_session_before_for_its_daily_pnl(ledger):
    day = SESSIONS[2:3]
    table = daily_pnl_table(_inputs(ledger, CLOSES.iloc[1:3]), day)
    assert len(table) == 1 and table["session"].iloc[0] == SESSIONS[2]
    assert table[["daily_pnl", "cumulative_pnl", "realized_pnl", "fills", "orders_refused"]].iloc[0].tolist() == \
        [41.0, 68.0, 53.0, 2, 1]
    alone = daily_pnl_table(_inputs(ledger, CLOSES.iloc[2:3]), day)  # positions held before, no close before
    assert np.isnan(alone["daily_pnl"].iloc[0]) and alone["cumulative_pnl"].iloc[0] == 68.0
    assert alone["realized_pnl"].iloc[0] == 53.0  # earlier fills are not this session's


def test_a_session_without_closes_is_a_clear_error(ledger):
    with pytest.raises(ValueError, match="2022-03-07.*cleaned_prices"):
        daily_pnl_table(_inputs(ledger), pd.DatetimeIndex(["2022-03-07"]))


def test_without_a_backtest_or_fills_the_comparison_is_empty_and_pnl_zero(ledger):
    table = daily_pnl_table(_inputs(ledger, equity=None), SESSIONS)
    assert table["backtest_daily_pnl"].isna().all() and table["daily_pnl_vs_backtest"].isna().all()
    flat = session_pnl(ledger.fills_frame("nobody"), CLOSES, MULTIPLIERS, CAPITAL)
    assert (flat["cumulative_pnl"] == 0).all() and (flat["fills"] == 0).all() and (flat["equity"] == CAPITAL).all()


def test_the_replay_ends_at_the_ledgers_own_positions_and_average_costs(ledger):
    table = session_pnl(ledger.fills_frame("s1"), CLOSES, MULTIPLIERS, CAPITAL)
    positions = ledger.positions_frame("s1").set_index("instrument_id")
    assert positions.loc["EQ:AAA", "quantity"] == -4.0 and positions.loc["EQ:AAA", "avg_price"] == 103.0
    assert table["unrealized_pnl"].iloc[-1] == pytest.approx(-4.0 * (100.0 - 103.0))


def test_equity_agrees_with_the_desks_cash_marking(ledger):
    from pairs_platform.api import views

    fills = ledger.fills_frame("s1")
    desk = views.live_equity(fills, CLOSES, pd.DataFrame({"multiplier": MULTIPLIERS}), CAPITAL)
    mine = session_pnl(fills, CLOSES, MULTIPLIERS, CAPITAL)
    np.testing.assert_allclose(mine["equity"].loc[desk.index], desk["equity"])


def test_the_session_report_file_formats_money_and_percent_and_links_the_tear_sheet(ledger, tmp_path):
    from pairs_platform.identifiers import InvalidIdentifier
    from pairs_platform.reporting.daily_report import money_text, write_daily_report

    row = daily_pnl_table(_inputs(ledger), SESSIONS).iloc[3]
    path = write_daily_report(row, "s1", tmp_path / "reports", tmp_path / "reports" / "s1_tearsheet.html")
    assert path == tmp_path / "reports" / "daily" / "s1_2022-03-04.md"
    text = path.read_text()
    for line in ("| Daily P&L | $5.00 |", "| Net exposure | -$400.00 (-4.00% of capital) |",
                 "| Orders sent (fill next session) | 1 (1 rejected by the broker) |",
                 "| Daily P&L minus the backtest's | $15.00 |", "[s1_tearsheet.html](../s1_tearsheet.html)"):
        assert line in text, line
    assert (money_text(-1234.5), money_text(float("nan"))) == ("-$1,234.50", "n/a")
    with pytest.raises(InvalidIdentifier):
        write_daily_report(row, "../etc", tmp_path, tmp_path / "t.html")
