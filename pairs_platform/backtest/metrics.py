"""Performance metrics with the conventions of empyrical and quantstats.

See :func:`performance_summary` for the exact definitions.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from pairs_platform.conventions import TRADING_DAYS_PER_YEAR

SUMMARY_KEYS = ("cagr", "annual_volatility", "sharpe", "sortino", "calmar", "max_drawdown",
                "max_drawdown_duration", "var_95", "hit_rate", "profit_factor", "avg_holding_days",
                "turnover", "trade_count", "total_return", "periods")


def drawdown_series(returns: pd.Series | np.ndarray) -> np.ndarray:
    """Drawdown at each period: wealth / running peak - 1, the peak including the starting wealth 1."""
    wealth = np.cumprod(1.0 + np.asarray(returns, dtype=np.float64))
    peak = np.maximum.accumulate(np.r_[1.0, wealth])[1:]
    return wealth / peak - 1.0


def max_drawdown_duration(drawdown: np.ndarray) -> int:
    """Longest run of consecutive periods below the previous peak (unrecovered runs count to the end)."""
    under = np.r_[0, (drawdown < 0).astype(np.int8), 0]
    edges = np.diff(under)
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return int((ends - starts).max()) if len(starts) else 0


def _trade_stats(trades: pd.DataFrame | None, equity, years: float) -> dict:
    if trades is None:
        return {}
    closed = trades[trades["exit_reason"] != "open"] if "exit_reason" in trades else trades
    pnl = closed["pnl"].to_numpy(np.float64)
    wins, losses = pnl[pnl > 0].sum(), -pnl[pnl <= 0].sum()
    out = {"trade_count": int(len(pnl)),
           "hit_rate": float((pnl > 0).mean()) if len(pnl) else math.nan,
           "profit_factor": float(wins / losses) if losses > 0 else (math.inf if wins > 0 else math.nan),
           "avg_holding_days": float(closed["holding_days"].mean()) if len(pnl) and "holding_days" in closed else math.nan}
    if equity is not None and {"entry_notional", "exit_notional"} <= set(trades.columns) and years > 0:
        traded = trades["entry_notional"].sum() + closed["exit_notional"].sum()
        out["turnover"] = float(traded / np.mean(np.asarray(equity, dtype=np.float64)) / years)
    return out


def performance_summary(returns: pd.Series | np.ndarray, periods_per_year: int = TRADING_DAYS_PER_YEAR,
                        trades: pd.DataFrame | None = None, equity: pd.Series | None = None) -> dict:
    """Summary statistics of a periodic simple-return series (risk-free rate 0).

    Conventions (empyrical 0.5 / quantstats):
    - ``cagr``: (prod(1 + r)) ** (periods_per_year / n) - 1.
    - ``annual_volatility``: std(r, ddof=1) * sqrt(periods_per_year).
    - ``sharpe``: mean(r) / std(r, ddof=1) * sqrt(periods_per_year) (NaN when std is 0).
    - ``sortino``: mean(r) * periods_per_year / (sqrt(mean(min(r, 0) ** 2)) * sqrt(periods_per_year)),
      the downside deviation taken over *all* observations (zeros for the positive ones).
    - ``max_drawdown``: min over t of wealth_t / max(1, wealth_0..t) - 1 (<= 0; the starting wealth
      counts as a peak); ``max_drawdown_duration``: longest run of periods below a previous peak.
    - ``calmar``: cagr / |max_drawdown| (NaN without a drawdown).
    - ``var_95``: historical one-period VaR, the 5th percentile of r (linear interpolation), a return.
    - from ``trades`` (closed trades; a table with ``pnl``, ``holding_days``, ``entry_notional``,
      ``exit_notional``, ``exit_reason``): ``trade_count``, ``hit_rate`` (share of trades with P&L > 0),
      ``profit_factor`` (gross profit / gross loss), ``avg_holding_days`` (bars between fills),
      ``turnover`` (traded notional, both sides, / mean ``equity`` / years; needs ``equity``).
      Without trades these are NaN (trade_count 0).
    - ``total_return``: prod(1 + r) - 1; ``periods``: number of observations.
    NaN returns are treated as 0.
    """
    r = np.nan_to_num(np.asarray(returns, dtype=np.float64), nan=0.0)
    n = len(r)
    out = dict.fromkeys(SUMMARY_KEYS, math.nan)
    out.update(trade_count=0, periods=n, max_drawdown_duration=0)
    if n == 0:
        return out
    ann = float(periods_per_year)
    total = float(np.prod(1.0 + r))
    years = n / ann
    std = float(np.std(r, ddof=1)) if n > 1 else math.nan
    downside = math.sqrt(float(np.mean(np.minimum(r, 0.0) ** 2))) * math.sqrt(ann)
    dd = drawdown_series(r)
    out.update(
        total_return=total - 1.0,
        cagr=total ** (1.0 / years) - 1.0 if total > 0 else -1.0,
        annual_volatility=std * math.sqrt(ann),
        sharpe=float(np.mean(r)) / std * math.sqrt(ann) if std > 0 else math.nan,
        sortino=float(np.mean(r)) * ann / downside if downside > 0 else math.nan,
        max_drawdown=float(dd.min()),
        max_drawdown_duration=max_drawdown_duration(dd),
        var_95=float(np.percentile(r, 5)),
    )
    out["calmar"] = out["cagr"] / abs(out["max_drawdown"]) if out["max_drawdown"] < 0 else math.nan
    out.update(_trade_stats(trades, equity, years))
    return out
