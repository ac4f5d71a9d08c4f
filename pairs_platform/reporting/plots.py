"""Figures of a backtest (matplotlib, Agg backend): equity, drawdown, monthly returns, rolling Sharpe,
per-pair contribution, exposure, the distribution of daily returns. Each function returns PNG bytes;
every axis names its unit ($, %, days, x equity).

matplotlib is imported on the first figure, not with this module: the code location imports this
module (through the assets that draw), so every run worker and CLI process would otherwise pay
~0.45 s for matplotlib, while only the main job's report draws."""
from __future__ import annotations

import functools
import io

import numpy as np
import pandas as pd

from pairs_platform.conventions import TRADING_DAYS_PER_YEAR
from pairs_platform.backtest.metrics import drawdown_series

WIDTH = 10.0


@functools.cache
def _pyplot():
    """``matplotlib.pyplot`` on the Agg backend (no display), imported once."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _figure(height: float):
    """(figure, axes) of the standard width and ``height`` inches."""
    return _pyplot().subplots(figsize=(WIDTH, height))


def _png(fig) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    _pyplot().close(fig)
    return buffer.getvalue()


def equity_png(equity: pd.Series, title: str = "Equity ($)") -> bytes:
    """Equity curve, in account currency."""
    fig, ax = _figure(3.2)
    ax.plot(equity.index, equity.to_numpy(), color="#1f4e79", lw=1.2)
    ax.set_title(title)
    ax.set_ylabel("equity ($)")
    ax.yaxis.set_major_formatter(lambda v, _pos: f"${v:,.0f}")
    ax.grid(alpha=0.3)
    return _png(fig)


def drawdown_png(returns: pd.Series) -> bytes:
    """Underwater curve: drawdown from the running peak."""
    dd = drawdown_series(returns.to_numpy())
    fig, ax = _figure(2.4)
    ax.fill_between(returns.index, dd * 100.0, 0.0, color="#b22222", alpha=0.5)
    ax.set_title("Drawdown (%)")
    ax.set_ylabel("drawdown from peak (%)")
    ax.grid(alpha=0.3)
    return _png(fig)


def monthly_returns(returns: pd.Series) -> pd.DataFrame:
    """Year x month compounded returns."""
    grouped = (1.0 + returns).groupby([returns.index.year, returns.index.month]).prod() - 1.0
    table = grouped.unstack()
    table.index.name, table.columns.name = "year", "month"
    return table.reindex(columns=range(1, 13))


def monthly_heatmap_png(returns: pd.Series) -> bytes:
    """Heat map of monthly returns (%), years in rows."""
    table = monthly_returns(returns) * 100.0
    fig, ax = _figure(0.35 * len(table) + 1.2)
    limit = max(float(np.nanmax(np.abs(table.to_numpy()))) if table.size else 1.0, 1e-9)
    ax.imshow(table.to_numpy(), cmap="RdYlGn", vmin=-limit, vmax=limit, aspect="auto")
    ax.set_xticks(range(12), ["J", "F", "M", "A", "M", "J", "J", "A", "S", "O", "N", "D"])
    ax.set_yticks(range(len(table)), [str(y) for y in table.index])
    for (i, j), value in np.ndenumerate(table.to_numpy()):
        if np.isfinite(value):
            ax.text(j, i, f"{value:.1f}", ha="center", va="center", fontsize=7)
    ax.set_title("Monthly returns (%, compounded; rows: years, columns: months)")
    return _png(fig)


def rolling_sharpe_png(returns: pd.Series, window: int = 126) -> bytes:
    """Rolling annualized Sharpe ratio over ``window`` bars."""
    roll = returns.rolling(window)
    sharpe = roll.mean() / roll.std(ddof=1) * np.sqrt(TRADING_DAYS_PER_YEAR)
    fig, ax = _figure(2.4)
    ax.plot(sharpe.index, sharpe.to_numpy(), color="#444444", lw=1.0)
    ax.axhline(0.0, color="black", lw=0.6)
    ax.set_title(f"Rolling Sharpe ratio (annualized, trailing {window} sessions)")
    ax.set_ylabel("Sharpe ratio (annualized, no unit)")
    ax.grid(alpha=0.3)
    return _png(fig)


def pair_contribution_png(pair_pnl: pd.DataFrame, top: int = 15) -> bytes:
    """P&L of the best and worst ``top`` pairs (net of costs), summed over windows by (y, x)."""
    by_pair = pair_pnl.assign(pair=pair_pnl["y"].astype(str) + "~" + pair_pnl["x"].astype(str)).groupby("pair")["pnl"].sum()
    by_pair = by_pair.sort_values()
    shown = pd.concat([by_pair.head(top), by_pair.tail(top)])
    shown = shown[~shown.index.duplicated()]
    fig, ax = _figure(0.25 * len(shown) + 1.2)
    ax.barh(shown.index, shown.to_numpy(), color=np.where(shown.to_numpy() >= 0, "#2e7d32", "#b22222"))
    ax.set_title("Per-pair contribution (P&L net of costs, $)")
    ax.set_xlabel("P&L ($)")
    ax.grid(alpha=0.3, axis="x")
    return _png(fig)


def exposure_png(exposure: pd.DataFrame) -> bytes:
    """Gross and net exposure as fractions of equity."""
    fig, ax = _figure(2.4)
    ax.plot(exposure.index, exposure["gross"].to_numpy(), label="gross", lw=1.0)
    ax.plot(exposure.index, exposure["net"].to_numpy(), label="net", lw=1.0)
    ax.legend(loc="upper left")
    ax.set_title("Exposure (x equity)")
    ax.set_ylabel("notional / equity (x)")
    ax.grid(alpha=0.3)
    return _png(fig)


def returns_histogram_png(returns: pd.Series, bins: int = 60) -> bytes:
    """Histogram of daily returns in percent (count of sessions per bin), with mean and 5% VaR lines."""
    pct = returns.dropna().to_numpy(dtype=np.float64) * 100.0
    fig, ax = _figure(2.8)
    ax.hist(pct, bins=bins, color="#1f4e79", alpha=0.8)
    if len(pct):
        ax.axvline(float(pct.mean()), color="black", lw=0.8, label=f"mean {pct.mean():+.3f}%")
        ax.axvline(float(np.percentile(pct, 5)), color="#b22222", lw=0.8, ls="--",
                   label=f"5th percentile (VaR 95%) {np.percentile(pct, 5):+.3f}%")
        ax.legend(loc="upper left", fontsize=8)
    ax.set_title("Distribution of daily returns (%)")
    ax.set_xlabel("daily return (%)")
    ax.set_ylabel("sessions (days)")
    ax.grid(alpha=0.3)
    return _png(fig)
