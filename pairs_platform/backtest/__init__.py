"""Backtesting: the compiled engine, metrics, optimization (windows and the pair schedule: pairs.schedule).

Public API::

    from pairs_platform.backtest import (run_backtest, run_grid, performance_summary, StrategyParams,
                                         CostModel, BacktestResult)
    from pairs_platform.pairs.schedule import walk_forward_windows, build_pair_schedule
    from pairs_platform.risk import RiskLimits
"""
from pairs_platform.backtest.engine import GridRun, run_backtest, run_grid
from pairs_platform.backtest.metrics import performance_summary
from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.backtest.results import BacktestResult
from pairs_platform.risk.limits import RiskLimits

__all__ = ["BacktestResult", "CostModel", "GridRun", "RiskLimits", "StrategyParams", "performance_summary",
           "run_backtest", "run_grid"]
