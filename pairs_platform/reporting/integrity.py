"""The honest headline as text: real-data sleeve first, then how much of the result is noise.

One function per piece, plain strings (for the demo's closing screen, Dagster markdown metadata and
the tear sheet), from core objects only: :func:`~pairs_platform.backtest.sleeves.sleeve_table`,
:func:`~pairs_platform.pairs.funnel.summarize_windows`, placebo results and
:func:`~pairs_platform.backtest.search_deflation.deflate_search`.
"""
from __future__ import annotations

import html
import math

import pandas as pd


SLEEVE_LABELS = {"real data only": "real data only", "with a synthetic leg": "synthetic leg (not evidence)",
                 "all": "all pairs (traded)"}


def _sharpe_text(row) -> str:
    """'Sharpe 0.41 [95% CI -0.30, 1.12], PSR 0.87' (without the brackets when undefined)."""
    sharpe = row.get("sharpe", math.nan)
    if not math.isfinite(sharpe):
        return "Sharpe  n/a"
    if "psr" not in row or not math.isfinite(row.get("psr", math.nan)):
        return f"Sharpe {sharpe:5.2f}"
    return f"Sharpe {sharpe:5.2f} [95% CI {row['sharpe_low']:+.2f}, {row['sharpe_high']:+.2f}], PSR {row['psr']:.2f}"


def sleeve_lines(table: pd.DataFrame) -> list[str]:
    """One line per sleeve, the real-data-only sleeve first (the headline); the synthetic sleeve is
    labelled as such. With ``psr``/``sharpe_low``/``sharpe_high`` columns each Sharpe carries them."""
    order = [s for s in ("real data only", "with a synthetic leg", "all") if s in table.index]
    lines = []
    for name in order:
        row = table.loc[name]
        lines.append(f"{SLEEVE_LABELS[name]:<29} {_sharpe_text(row)}  CAGR {row['cagr']:+7.2%}  "
                     f"max DD {row['max_drawdown']:7.2%}  trades {int(row['trade_count']):>5}  "
                     f"pairs {int(row['pairs_scheduled']):>4}  net P&L {row['net_pnl']:+,.0f}")
    if order:
        lines.append("(each sleeve re-simulated alone with the full capital; synthetic pairs are planted "
                     "to mean-revert, so only the real-data sleeve says anything about markets)")
    return lines


def edge_line(table: pd.DataFrame) -> str:
    """One plain sentence: does the real-data sleeve show an edge (95% CI of its Sharpe above 0)?"""
    row = table.loc["real data only"]
    if int(row["trade_count"]) == 0 or not math.isfinite(row["sharpe"]):
        return "Real data: no trades on real-data pairs, so no evidence of an edge."
    if not math.isfinite(row.get("sharpe_low", math.nan)):
        return f"Real data: Sharpe {row['sharpe']:.2f}, no confidence interval computed (not evidence by itself)."
    if row["sharpe_low"] > 0:
        return (f"Real data shows an edge: Sharpe {row['sharpe']:.2f}, 95% CI above 0 "
                f"[{row['sharpe_low']:+.2f}, {row['sharpe_high']:+.2f}], PSR {row['psr']:.2f}.")
    return (f"Real data shows NO reliable edge: Sharpe {row['sharpe']:.2f}, 95% CI "
            f"[{row['sharpe_low']:+.2f}, {row['sharpe_high']:+.2f}] includes 0, PSR {row['psr']:.2f}; "
            "any profit of the synthetic-leg pairs is planted, not evidence.")


def selection_line(summary: dict) -> str:
    """'N tests over W windows, expected false pairs <= E (e per window)'."""
    return (f"{summary['tests_run']} pair tests over {summary['windows']} windows; expected false pairs "
            f"<= {summary['expected_false_discoveries']:.2f} ({summary['expected_false_per_window']:.2f} per window)")


def placebo_line(result) -> str:
    """A filter's Sharpe against its placebo distribution, and the verdict at p < 0.05."""
    verdict = "earns its place" if result.p_value < 0.05 else "no better than its placebo: keep it off"
    return (f"{result.name} filter: Sharpe {result.real_sharpe:.2f} (unfiltered {result.unfiltered_sharpe:.2f}); "
            f"placebo percentile {result.percentile:.2f}, p = {result.p_value:.3f} over "
            f"{len(result.placebo_sharpes)} runs: {verdict}")


def placebo_table(results: list) -> pd.DataFrame:
    """One row per filter placebo: Sharpe of the filter and of no filter, percentile, p-value, runs,
    first seed and the verdict ('may be on' at p < 0.05, else 'keep off')."""
    return pd.DataFrame([{"filter": r.name, "sharpe": r.real_sharpe, "unfiltered_sharpe": r.unfiltered_sharpe,
                          "percentile": r.percentile, "p_value": r.p_value, "runs": len(r.placebo_sharpes),
                          "seed": int(r.seeds[0]) if r.seeds else -1,
                          "verdict": "may be on" if r.p_value < 0.05 else "keep off"} for r in results]).set_index("filter")


def deflation_line(figures: dict) -> str:
    """OOS Sharpe with its SE, the DSR and the PBO of a parameter search."""
    def fmt(key, spec):
        value = figures.get(key, math.nan)
        return "n/a" if value is None or not math.isfinite(value) else format(value, spec)
    return (f"search of {int(figures['n_trials'])} trials: OOS Sharpe {fmt('oos_sharpe', '.2f')} "
            f"(SE {fmt('oos_sharpe_se', '.2f')}); the best of {int(figures['n_trials'])} unskilled trials would "
            f"show {fmt('expected_max_sharpe', '.2f')}; deflated Sharpe ratio {fmt('deflated_sharpe_ratio', '.3f')} "
            f"(>= 0.95 to call it skill); PBO {fmt('pbo', '.2f')}")


def markdown_html(markdown: str) -> str:
    """The bullet list of :func:`integrity_markdown` as an HTML list (text escaped)."""
    items = [line[2:] if line.startswith("- ") else line for line in markdown.splitlines() if line.strip()]
    return "<ul>" + "".join(f"<li>{html.escape(item)}</li>" for item in items) + "</ul>"


def integrity_markdown(sleeves: pd.DataFrame | None = None, selection: dict | None = None,
                       placebos: list | None = None, deflation: dict | None = None) -> str:
    """All the pieces given, as a markdown bullet list (missing pieces are skipped)."""
    lines = [*sleeve_lines(sleeves), edge_line(sleeves)] if sleeves is not None else []
    if selection is not None:
        lines.append(selection_line(selection))
    lines += [placebo_line(p) for p in placebos or []]
    if deflation is not None:
        lines.append(deflation_line(deflation))
    return "\n".join(f"- {line}" for line in lines)
