"""The honest headline as text: real-data sleeve first, then how much of the result is noise.

One function per piece, plain strings (for the demo's closing screen, Dagster markdown metadata and
the tear sheet), from core objects only: :func:`~pairs_platform.backtest.sleeves.sleeve_table`,
:func:`~pairs_platform.pairs.funnel.summarize_windows`, placebo results and
:func:`~pairs_platform.backtest.search_deflation.deflate_search`.
"""
from __future__ import annotations

import math

import pandas as pd


def sleeve_lines(table: pd.DataFrame) -> list[str]:
    """One line per sleeve, the real-data-only sleeve first (the headline)."""
    order = [s for s in ("real data only", "with a synthetic leg", "all") if s in table.index]
    lines = []
    for name in order:
        row = table.loc[name]
        lines.append(f"{name:<21} Sharpe {row['sharpe']:5.2f}  CAGR {row['cagr']:+7.2%}  "
                     f"max DD {row['max_drawdown']:7.2%}  trades {int(row['trade_count']):>5}  "
                     f"pairs {int(row['pairs_scheduled']):>4}  net P&L {row['net_pnl']:+,.0f}")
    if order:
        lines.append("(each sleeve re-simulated alone with the full capital; synthetic pairs are planted "
                     "to mean-revert, so only the real-data sleeve says anything about markets)")
    return lines


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


def deflation_line(figures: dict) -> str:
    """OOS Sharpe with its SE, the DSR and the PBO of a parameter search."""
    def fmt(key, spec):
        value = figures.get(key, math.nan)
        return "n/a" if value is None or not math.isfinite(value) else format(value, spec)
    return (f"search of {int(figures['n_trials'])} trials: OOS Sharpe {fmt('oos_sharpe', '.2f')} "
            f"(SE {fmt('oos_sharpe_se', '.2f')}); the best of {int(figures['n_trials'])} unskilled trials would "
            f"show {fmt('expected_max_sharpe', '.2f')}; deflated Sharpe ratio {fmt('deflated_sharpe_ratio', '.3f')} "
            f"(>= 0.95 to call it skill); PBO {fmt('pbo', '.2f')}")


def integrity_markdown(sleeves: pd.DataFrame | None = None, selection: dict | None = None,
                       placebos: list | None = None, deflation: dict | None = None) -> str:
    """All the pieces given, as a markdown bullet list (missing pieces are skipped)."""
    lines = sleeve_lines(sleeves) if sleeves is not None else []
    if selection is not None:
        lines.append(selection_line(selection))
    lines += [placebo_line(p) for p in placebos or []]
    if deflation is not None:
        lines.append(deflation_line(deflation))
    return "\n".join(f"- {line}" for line in lines)
