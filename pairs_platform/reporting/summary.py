"""Plain-text run summaries (the `make demo` closing screen), from core objects only."""
from __future__ import annotations

import pandas as pd

HEADLINE = (("cagr", "CAGR", "{:+.2%}"), ("sharpe", "Sharpe", "{:.2f}"), ("max_drawdown", "max drawdown", "{:.2%}"),
            ("annual_volatility", "annual volatility", "{:.2%}"), ("trade_count", "trades", "{:.0f}"),
            ("hit_rate", "hit rate", "{:.1%}"))


def instrument_counts(instruments: pd.DataFrame, loaded: list[str]) -> str:
    """'37 instruments: equity 20 (bundled 20), future 6 (synthetic 6), ...'."""
    table = instruments.loc[instruments.index.intersection(loaded)]
    parts = []
    for asset_class, rows in table.groupby("asset_class"):
        sources = ", ".join(f"{k} {v}" for k, v in rows["data_source"].value_counts().items())
        parts.append(f"{asset_class} {len(rows)} ({sources})")
    return f"{len(table)} instruments: " + "; ".join(parts)


def format_summary(*, instruments_line: str, sessions: tuple[str, str, int], pairs: pd.DataFrame,
                   backtest_summary: dict, headline: str, execution: dict, paths: dict,
                   wall_seconds: float | None, filters_effect: str = "", selection: str = "") -> str:
    """The closing screen of the demo.

    ``headline``: the real-data-first lines (``reporting.integrity.integrity_markdown`` of the
    sleeves, as ``backtest_results`` records them); ``backtest_summary``: the traded book (every
    pair, synthetic legs included); ``filters_effect``: the ablation on real-data pairs;
    ``selection``: tests run and expected false pairs of the pair selection.
    """
    latest = pairs[pairs["window_id"] == pairs["window_id"].max()] if len(pairs) else pairs
    lines = [
        "", "=" * 72, "pairs_platform demo: summary", "=" * 72,
        f"Data        {instruments_line}",
        f"Sessions    {sessions[0]} .. {sessions[1]} ({sessions[2]} trading days; prices in monthly partitions)",
        f"Pairs       {len(pairs)} selected over {pairs['window_id'].nunique() if len(pairs) else 0} "
        f"walk-forward windows; latest window: "
        + (", ".join(f"{y}~{x}" for y, x in zip(latest["y"], latest["x"])) or "none"),
    ]
    if selection:
        lines.append(f"Selection   {selection}")
    lines.append("Headline    real data only (walk-forward, net of costs); synthetic-leg pairs apart, not evidence:")
    lines += ["            " + row.removeprefix("- ") for row in headline.splitlines()]
    lines.append("Traded book " + ", ".join(f"{label} {fmt.format(backtest_summary[key])}"
                                           for key, label, fmt in HEADLINE if key in backtest_summary)
                 + "  (every pair, synthetic legs included: what paper trading trades)")
    if filters_effect:
        lines.append("Filters     ablation on the real-data pairs; both filters are OFF by default (neither beat "
                     "its placebo: `make filter-evidence`):")
        lines += ["            " + row for row in filters_effect.splitlines()]
    lines += [
        f"Paper       {execution['sent']} orders sent over {execution['sessions']} sessions after the ledger's last order, "
        f"{execution['fills']} fills; re-running the last session sent {execution['resent']} (idempotent)",
        "Main job    skipped: up to date (same range, code, data and settings; FORCE=1 re-runs it)"
        if wall_seconds is None else f"Main job    {wall_seconds:.1f} s wall time (pairs_pipeline, excluding install)",
        f"Report      {paths['report']}",
        *([f"Daily P&L   one report per paper session in {paths['daily']} (asset daily_pnl_report)"]
          if paths.get("daily") else []),
        f"State       Dagster: {paths['dagster_home']}   data: {paths['data_dir']}",
        "Next        make ui  (Dagster UI on http://127.0.0.1:3000)   make mlflow-ui  (http://127.0.0.1:5000)",
        "=" * 72,
    ]
    return "\n".join(lines)
