"""Chain consecutive backtest results (one per walk-forward window) into one result."""
from __future__ import annotations

import numpy as np
import pandas as pd

from pairs_platform.backtest.metrics import performance_summary
from pairs_platform.backtest.results import BacktestResult


def stitch_results(parts: list[BacktestResult], ends: list, capital: float) -> BacktestResult:
    """One result from ``parts``, each cut at its window end; part i must start with the capital
    part i-1 ended with (so returns chain across the joins)."""
    if not parts or len(parts) != len(ends):
        raise ValueError("stitch_results needs one window end per part and at least one part")
    cut = [(p, pd.Timestamp(e)) for p, e in zip(parts, ends)]
    equity = pd.concat([p.equity.loc[:e] for p, e in cut]).rename("equity")
    returns = equity.pct_change()
    returns.iloc[0] = equity.iloc[0] / capital - 1.0
    trades = pd.concat([p.trades[p.trades["entry_signal_date"] <= e] for p, e in cut], ignore_index=True)
    trades["trade_id"] = np.arange(len(trades), dtype=np.int64)
    last = parts[-1]
    return BacktestResult(
        equity=equity, returns=returns.rename("returns"),
        exposure=pd.concat([p.exposure.loc[:e] for p, e in cut]),
        trades=trades,
        pair_pnl=pd.concat([p.pair_pnl for p in parts]),
        positions=pd.concat([p.positions.loc[:e] for p, e in cut]),
        leg_positions=pd.concat([p.leg_positions[p.leg_positions["date"] <= e] for p, e in cut], ignore_index=True),
        refusals=pd.concat([p.refusals[p.refusals["date"] <= e] for p, e in cut], ignore_index=True),
        summary=performance_summary(returns, trades=trades, equity=equity),
        params=last.params, costs=last.costs, limits=last.limits, capital=float(capital))
