"""Self-contained HTML tear sheet of a backtest (images inlined as base64 PNG).

Every figure, axis and table column names its unit ($, %, days, sessions, x equity); the summary
table has a unit column. With a :class:`~pairs_platform.reporting.provenance.Provenance` the page
opens with where it came from (run id, git commit, data source per asset class).
"""
from __future__ import annotations

import base64
import html
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pairs_platform.identifiers import validate_strategy_id
from pairs_platform.backtest.sleeves import synthetic_legs
from pairs_platform.reporting import plots
from pairs_platform.reporting.integrity import markdown_html
from pairs_platform.reporting.provenance import Provenance
from pairs_platform.reporting.tables import worst_drawdowns, yearly_returns

MAX_TRADES_SHOWN = 500
PERCENT_KEYS = {"cagr", "annual_volatility", "max_drawdown", "var_95", "hit_rate", "total_return"}
UNITS = {**dict.fromkeys(PERCENT_KEYS, "%"), "sharpe": "ratio (annualized)", "sortino": "ratio (annualized)",
         "calmar": "ratio", "profit_factor": "ratio", "max_drawdown_duration": "sessions (days)",
         "avg_holding_days": "sessions (days)", "turnover": "x equity per year", "trade_count": "trades",
         "periods": "sessions (days)", "psr": "probability", "sharpe_low": "ratio (annualized)",
         "sharpe_high": "ratio (annualized)", "net_pnl": "$"}
TRADE_UNITS = {"units_y": "units_y (shares/contracts)", "units_x": "units_x (shares/contracts)",
               "holding_days": "holding (sessions)", "entry_z": "entry_z (std devs)", "exit_z": "exit_z (std devs)",
               "costs": "costs ($)", "pnl": "pnl ($)"}
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
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{_format(k, v)}</td><td>{html.escape(UNITS.get(k, ''))}</td></tr>"
                   for k, v in result.summary.items())
    trades = result.trades
    costs = {c: float(trades[c].sum()) for c in ("commission", "slippage", "borrow")} if len(trades) else {}
    rows += "".join(f"<tr><th>{c} (total)</th><td>{v:,.2f}</td><td>$</td></tr>" for c, v in costs.items())
    rows += f"<tr><th>refused entries</th><td>{len(result.refusals)}</td><td>entries</td></tr>"
    return f"<table><tr><th>metric</th><th>value</th><th>unit</th></tr>{rows}</table>"


def _settings(result) -> str:
    items = {"capital ($)": f"{result.capital:,.0f}", **{f"params.{k}": v for k, v in result.params.to_dict().items()},
             **{f"costs.{k}": v for k, v in vars(result.costs).items()},
             **{f"limits.{k}": v for k, v in result.limits.to_dict().items()}}
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in items.items())
    return f"<table>{rows}</table>"


def _trade_list(trades: pd.DataFrame) -> str:
    columns = ["pair_id", "direction", "entry_date", "exit_date", "exit_reason", "holding_days", "units_y",
               "units_x", "entry_z", "exit_z", "costs", "pnl"]
    shown = trades.tail(MAX_TRADES_SHOWN)[columns].rename(columns=TRADE_UNITS)
    note = (f'<p class="note">Last {MAX_TRADES_SHOWN} of {len(trades)} trades.</p>'
            if len(trades) > MAX_TRADES_SHOWN else "")
    return note + shown.to_html(index=False, float_format=lambda v: f"{v:,.2f}", na_rep="", border=0)


@dataclass(frozen=True)
class Honesty:
    """What makes the tear sheet honest: ``sleeves`` (``backtest.sleeves.run_sleeves``; the
    real-data sleeve is the headline), ``instruments`` (their ``data_source`` marks synthetic
    pairs) and ``integrity_md`` (``reporting.integrity.integrity_markdown``: PSR, CI, DSR, PBO).
    Each piece is optional: a search's OOS sheet has only the integrity figures."""

    sleeves: dict | None = None
    instruments: pd.DataFrame | None = None
    integrity_md: str = ""


def _pair_table(pair_pnl: pd.DataFrame, instruments: pd.DataFrame) -> str:
    """Per-pair P&L summed over windows, each pair marked 'real' or 'SYNTHETIC' (a synthetic leg)."""
    marked = pair_pnl.assign(data=pd.Series(synthetic_legs(pair_pnl, instruments), index=pair_pnl.index)
                             .map({True: "SYNTHETIC", False: "real"}))
    table = marked.groupby(["y", "x", "data"])[["trades", "pnl", "costs"]].sum().reset_index()
    table = table.sort_values(["data", "pnl"], ascending=[True, False])
    table = table.rename(columns={"trades": "trades (count)", "pnl": "pnl ($)", "costs": "costs ($)"})
    return table.to_html(index=False, float_format=lambda v: f"{v:,.2f}", border=0)


def _headline_sections(honesty: Honesty) -> list[str]:
    figures = markdown_html(honesty.integrity_md) if honesty.integrity_md else ""
    if honesty.sleeves is None:
        return ["<h2>Integrity</h2>", figures]
    real, synthetic = honesty.sleeves["real data only"], honesty.sleeves["with a synthetic leg"]
    return [
        "<h2>Headline: real data only</h2>",
        '<p class="note">Pairs whose two legs are real data, re-simulated alone with the full capital. '
        "Sharpe ratios carry their 95% confidence interval and probabilistic Sharpe ratio.</p>",
        figures, _summary_table(real), _img(plots.equity_png(real.equity), "real-data equity curve"),
        "<h2>Synthetic-leg pairs (synthetic data, not evidence)</h2>",
        '<p class="note">Synthetic instruments are planted to mean-revert: their profit says nothing '
        "about markets.</p>", _summary_table(synthetic),
        "<h2>All pairs (the traded book, real and synthetic)</h2>",
    ]


def _provenance_table(provenance: Provenance) -> str:
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in provenance.rows().items())
    return f"<h2>Provenance</h2><table>{rows}</table>"


def _return_tables(returns: pd.Series) -> list[str]:
    """Yearly returns, the five worst drawdowns and the distribution of daily returns."""
    dates = {c: (lambda v: "" if pd.isna(v) else str(pd.Timestamp(v).date())) for c in ("start", "trough", "recovery")}
    drawdowns = worst_drawdowns(returns)
    drawdown_html = (drawdowns.to_html(index=False, formatters=dates, float_format=lambda v: f"{v:,.2f}", border=0)
                     if len(drawdowns) else '<p class="note">No drawdown: wealth never fell below a peak.</p>')
    return [
        "<h2>Yearly returns</h2>",
        yearly_returns(returns).to_html(float_format=lambda v: f"{v:,.2f}", border=0),
        "<h2>Worst drawdowns</h2>",
        '<p class="note">The five deepest falls from a peak of equity: start is the peak, recovery the first '
        "session back at the peak (empty: not recovered); lengths in calendar days.</p>", drawdown_html,
        "<h2>Return distribution</h2>", _img(plots.returns_histogram_png(returns), "distribution of daily returns"),
    ]


def render_tearsheet(result, title: str, honesty: Honesty | None = None, provenance: Provenance | None = None) -> str:
    """HTML page: provenance, summary metrics (with units), settings, equity, drawdown, monthly heat
    map, yearly returns, worst drawdowns, the return distribution, rolling Sharpe, exposure,
    per-pair contribution, refusals by reason and the trade list. With ``honesty`` the real-data
    sleeve and the integrity figures come first, the synthetic-leg sleeve apart, and the per-pair
    table marks synthetic pairs; with ``provenance`` the run id, git commit and data sources head it."""
    refusals = result.refusals["reason"].value_counts().rename("count (entries)").to_frame().to_html(border=0)
    sections = [
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="note">{result.equity.index[0].date()} to {result.equity.index[-1].date()}; metrics with '
        "risk-free 0, daily returns, 252 periods per year (see performance_summary); money in $.</p>",
        _provenance_table(provenance) if provenance is not None else "",
        *(_headline_sections(honesty) if honesty is not None else []),
        "<h2>Summary</h2>", _summary_table(result),
        "<h2>Equity</h2>", _img(plots.equity_png(result.equity), "equity curve"),
        _img(plots.drawdown_png(result.returns), "drawdown"),
        "<h2>Monthly returns</h2>", _img(plots.monthly_heatmap_png(result.returns), "monthly returns"),
        *_return_tables(result.returns),
        "<h2>Rolling Sharpe</h2>", _img(plots.rolling_sharpe_png(result.returns), "rolling sharpe"),
        "<h2>Exposure</h2>", _img(plots.exposure_png(result.exposure), "exposure"),
        "<h2>Per-pair contribution</h2>", _img(plots.pair_contribution_png(result.pair_pnl), "pair contribution"),
        _pair_table(result.pair_pnl, honesty.instruments) if honesty and honesty.instruments is not None else "",
        "<h2>Refused entries</h2>", refusals,
        "<h2>Trades</h2>", _trade_list(result.trades),
        "<h2>Settings</h2>", _settings(result),
    ]
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body>{''.join(sections)}</body></html>")


def tearsheet_path(folder: Path, strategy_id: str) -> Path:
    """Where :func:`write_tearsheet` writes ``strategy_id``'s tear sheet: ``folder/<strategy_id>_tearsheet.html``
    (the strategy id is checked with :func:`pairs_platform.identifiers.validate_strategy_id`)."""
    validate_strategy_id(strategy_id, "tear sheet file name")
    return Path(folder) / f"{strategy_id}_tearsheet.html"


def write_tearsheet(result, strategy_id: str, folder: Path, honesty: Honesty | None = None,
                    provenance: Provenance | None = None) -> Path:
    """Write the walk-forward tear sheet of ``strategy_id`` to :func:`tearsheet_path`.

    Parameters
    ----------
    result : pairs_platform.backtest.BacktestResult
        The backtest to report.
    strategy_id : str
        Names the file, so it is checked with :func:`pairs_platform.identifiers.validate_strategy_id`.
    folder : Path
        Reports folder (created if missing).
    honesty : Honesty, optional
        Real-data headline, synthetic sleeve and integrity figures (see :func:`render_tearsheet`).
    provenance : Provenance, optional
        Run id, git commit and data sources shown at the top.

    Returns
    -------
    Path
        The written file.
    """
    path = tearsheet_path(folder, strategy_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_tearsheet(result, f"{strategy_id}: walk-forward backtest", honesty, provenance),
                    encoding="utf-8")
    return path
