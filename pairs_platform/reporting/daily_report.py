"""The daily P&L report of one session as a small markdown file (money as $, shares as %).

One file per strategy and session, ``<reports>/daily/<strategy_id>_<YYYY-MM-DD>.md``, rewritten when
the session is re-materialized; it links the strategy's tear sheet
(:func:`pairs_platform.reporting.tearsheet.tearsheet_path`).
"""
from __future__ import annotations

import math
import os
from pathlib import Path

import pandas as pd

from pairs_platform.identifiers import validate_strategy_id

DAILY_FOLDER = "daily"


def money_text(value: float) -> str:
    """``$1,234.56`` / ``-$1,234.56``; ``n/a`` for NaN."""
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{'-' if value < 0 else ''}${abs(value):,.2f}"


def percent_text(value: float) -> str:
    """A number already in percent as ``12.34%``; ``n/a`` for NaN."""
    return "n/a" if value is None or not math.isfinite(value) else f"{value:.2f}%"


def daily_report_path(folder: Path, strategy_id: str, session: pd.Timestamp) -> Path:
    """Where the report of ``strategy_id``'s ``session`` goes: ``folder/daily/<strategy_id>_<session>.md``."""
    validate_strategy_id(strategy_id, "daily report file name")
    return Path(folder) / DAILY_FOLDER / f"{strategy_id}_{pd.Timestamp(session).date()}.md"


def render_daily_report(row: pd.Series, strategy_id: str, tearsheet: Path) -> str:
    """Markdown of one row of :func:`~pairs_platform.reporting.daily_pnl.daily_pnl_table`.

    Parameters
    ----------
    row : pd.Series
        The session's figures (columns ``PNL_COLUMNS``).
    strategy_id : str
        The strategy reported.
    tearsheet : Path
        The strategy's tear sheet (linked relative to the daily folder when it is beside it).
    """
    day = pd.Timestamp(row["session"]).date()
    try:
        link = os.path.relpath(tearsheet, Path(tearsheet).parent / DAILY_FOLDER)
    except ValueError:  # another drive
        link = str(tearsheet)
    rows = [
        ("Daily P&L", money_text(row["daily_pnl"])), ("realized (net of commissions)", money_text(row["realized_pnl"])),
        ("commissions", money_text(row["commission"])), ("unrealized (marked at the close)",
                                                         money_text(row["unrealized_pnl"])),
        ("Cumulative P&L (since the first fill)", money_text(row["cumulative_pnl"])), ("Equity", money_text(row["equity"])),
        ("Gross exposure", f"{money_text(row['gross_exposure'])} ({percent_text(row['gross_exposure_pct'])} of capital)"),
        ("Net exposure", f"{money_text(row['net_exposure'])} ({percent_text(row['net_exposure_pct'])} of capital)"),
        ("Orders sent (fill next session)", f"{int(row['orders_sent'])} ({int(row['orders_rejected'])} rejected by the broker)"),
        ("Orders refused by the risk engine", str(int(row["orders_refused"]))), ("Fills", str(int(row["fills"]))),
        ("Backtest daily P&L (same session)", money_text(row["backtest_daily_pnl"])),
        ("Backtest cumulative P&L (same span)", money_text(row["backtest_cumulative_pnl"])),
        ("Daily P&L minus the backtest's", money_text(row["daily_pnl_vs_backtest"])),
    ]
    table = "\n".join(f"| {label} | {value} |" for label, value in rows)
    return (f"# {strategy_id}: daily P&L, session {day}\n\n| figure | value |\n| --- | --- |\n{table}\n\n"
            "Average-cost accounting (the ledger's); money in $; exposure at the session's close as a share of "
            "the strategy's capital; the backtest is `backtest_results` (net of costs), n/a where it has no "
            f"such session.\n\nTear sheet: [{Path(tearsheet).name}]({link})\n")


def write_daily_report(row: pd.Series, strategy_id: str, folder: Path, tearsheet: Path) -> Path:
    """Write :func:`render_daily_report` to :func:`daily_report_path` (folders created); return the path."""
    path = daily_report_path(folder, strategy_id, row["session"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_daily_report(row, strategy_id, tearsheet), encoding="utf-8")
    return path
