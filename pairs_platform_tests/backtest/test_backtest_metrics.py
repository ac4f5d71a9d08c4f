"""performance_summary follows the documented empyrical/quantstats conventions."""
import math

import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest import performance_summary
from pairs_platform.backtest.metrics import drawdown_series, max_drawdown_duration


def test_hand_computed_small_series():
    r = np.array([-0.10, 0.05, 0.05, -0.02, 0.20])
    s = performance_summary(r, periods_per_year=4)
    wealth = np.cumprod(1 + r)  # 0.9, 0.945, 0.99225, 0.972405, 1.166886
    assert s["total_return"] == pytest.approx(wealth[-1] - 1)
    assert s["cagr"] == pytest.approx(wealth[-1] ** (4 / 5) - 1)
    assert s["max_drawdown"] == pytest.approx(-0.10)  # the starting wealth is a peak
    assert s["max_drawdown_duration"] == 4  # below 1.0 from period 1 to 4, recovered at 5
    assert s["sharpe"] == pytest.approx(r.mean() / r.std(ddof=1) * 2)
    downside = math.sqrt(np.mean(np.minimum(r, 0) ** 2)) * 2
    assert s["sortino"] == pytest.approx(r.mean() * 4 / downside)
    assert s["annual_volatility"] == pytest.approx(r.std(ddof=1) * 2)
    assert s["calmar"] == pytest.approx(s["cagr"] / 0.10)
    assert s["var_95"] == pytest.approx(np.percentile(r, 5))
    assert s["trade_count"] == 0 and math.isnan(s["hit_rate"])


def test_trade_statistics_and_turnover():
    returns = pd.Series(np.zeros(252))
    equity = pd.Series(np.full(252, 1e6))
    trades = pd.DataFrame({"pnl": [100.0, -50.0, 30.0, 999.0], "holding_days": [2, 4, 6, 50],
                           "entry_notional": [1e5, 1e5, 1e5, 1e5], "exit_notional": [1e5, 1e5, 1e5, 1e5],
                           "exit_reason": ["signal", "stop_z", "signal", "open"]})
    s = performance_summary(returns, trades=trades, equity=equity)
    assert s["trade_count"] == 3  # the open trade is not counted
    assert s["hit_rate"] == pytest.approx(2 / 3)
    assert s["profit_factor"] == pytest.approx(130 / 50)
    assert s["avg_holding_days"] == pytest.approx(4.0)
    assert s["turnover"] == pytest.approx((4e5 + 3e5) / 1e6 / 1.0)
    assert math.isnan(s["sharpe"]) and math.isnan(s["calmar"])


def test_drawdown_helpers():
    dd = drawdown_series([0.1, -0.2, 0.05, 0.2, -0.01])
    assert dd[0] == 0.0 and dd[1] == pytest.approx(-0.2)
    assert max_drawdown_duration(dd) == 2
    assert max_drawdown_duration(np.array([0.0, -0.1, -0.1, -0.1])) == 3  # unrecovered at the end
    assert performance_summary([])["periods"] == 0


def test_nan_returns_are_zero_and_losing_everything():
    s = performance_summary([0.1, np.nan, -1.0])
    assert s["total_return"] == pytest.approx(-1.0)
    assert s["cagr"] == -1.0 and s["max_drawdown"] == pytest.approx(-1.0)
