"""Self-contained HTML tear sheet of a backtest (images inlined as base64 PNG)."""
from __future__ import annotations

import base64
import html
import math
from pathlib import Path

import pandas as pd

from pairs_platform.identifiers import validate_strategy_id
from pairs_platform.reporting import plots

MAX_TRADES_SHOWN = 500
PERCENT_KEYS = {"cagr", "annual_volatility", "max_drawdown", "var_95", "hit_rate", "total_return"}
STYLE = """body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:12px}
td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}th{background:#f0f0f0}h1{font-size:20px}
h2{font-size:16px;margin-top:28px}img{max-width:100%}.note{color:#666;font-size:12px}"""


def equity_curve_png(result) -> bytes:
    """PNG bytes of the equity curve (for Dagster metadata)."""
    return plots.equity_png(result.equity)


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}"/>'


def _format(key: str, value) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return "n/a" if math.isnan(value) else ("inf" if value > 0 else "-inf")
        return f"{value:.2%}" if key in PERCENT_KEYS else f"{value:,.3f}"
    return html.escape(str(value))


def _summary_table(result) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{_format(k, v)}</td></tr>" for k, v in result.summary.items())
    trades = result.trades
    costs = {c: float(trades[c].sum()) for c in ("commission", "slippage", "borrow")} if len(trades) else {}
    rows += "".join(f"<tr><th>{c} (total)</th><td>{v:,.2f}</td></tr>" for c, v in costs.items())
    rows += f"<tr><th>refused entries</th><td>{len(result.refusals)}</td></tr>"
    return f"<table>{rows}</table>"


def _settings(result) -> str:
    items = {"capital": f"{result.capital:,.0f}", **{f"params.{k}": v for k, v in result.params.to_dict().items()},
             **{f"costs.{k}": v for k, v in vars(result.costs).items()},
             **{f"limits.{k}": v for k, v in result.limits.to_dict().items()}}
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in items.items())
    return f"<table>{rows}</table>"


def _trade_list(trades: pd.DataFrame) -> str:
    columns = ["pair_id", "direction", "entry_date", "exit_date", "exit_reason", "holding_days", "units_y",
               "units_x", "entry_z", "exit_z", "costs", "pnl"]
    shown = trades.tail(MAX_TRADES_SHOWN)[columns]
    note = (f'<p class="note">Last {MAX_TRADES_SHOWN} of {len(trades)} trades.</p>'
            if len(trades) > MAX_TRADES_SHOWN else "")
    return note + shown.to_html(index=False, float_format=lambda v: f"{v:,.2f}", na_rep="", border=0)


def render_tearsheet(result, title: str) -> str:
    """HTML page: summary metrics, settings, equity, drawdown, monthly heat map, rolling Sharpe,
    exposure, per-pair contribution, refusals by reason and the trade list."""
    refusals = result.refusals["reason"].value_counts().rename("count").to_frame().to_html(border=0)
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">{result.equity.index[0].date()} to {result.equity.index[-1].date()}; metrics with '
        "risk-free 0, daily returns, 252 periods per year (see performance_summary).</p>",
        "<h2>Summary</h2>", _summary_table(result),
        "<h2>Equity</h2>", _img(plots.equity_png(result.equity), "equity curve"),
        _img(plots.drawdown_png(result.returns), "drawdown"),
        "<h2>Monthly returns</h2>", _img(plots.monthly_heatmap_png(result.returns), "monthly returns"),
        "<h2>Rolling Sharpe</h2>", _img(plots.rolling_sharpe_png(result.returns), "rolling sharpe"),
        "<h2>Exposure</h2>", _img(plots.exposure_png(result.exposure), "exposure"),
        "<h2>Per-pair contribution</h2>", _img(plots.pair_contribution_png(result.pair_pnl), "pair contribution"),
        "<h2>Refused entries</h2>", refusals,
        "<h2>Trades</h2>", _trade_list(result.trades),
        "<h2>Settings</h2>", _settings(result),
    ]
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>")


def write_tearsheet(result, strategy_id: str, folder: Path) -> Path:
    """Write the walk-forward tear sheet of ``strategy_id`` to ``folder/<strategy_id>_tearsheet.html``.

    Parameters
    ----------
    result : pairs_platform.backtest.BacktestResult
        The backtest to report.
    strategy_id : str
        Names the file, so it is checked with :func:`pairs_platform.identifiers.validate_strategy_id`.
    folder : Path
        Reports folder (created if missing).

    Returns
    -------
    Path
        The written file.
    """
    validate_strategy_id(strategy_id, "tear sheet file name")
    path = Path(folder) / f"{strategy_id}_tearsheet.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_tearsheet(result, f"{strategy_id}: walk-forward backtest"), encoding="utf-8")
    return path
