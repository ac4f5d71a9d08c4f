"""The honest headline text: real-data sleeve first, verdicts of the placebos, deflated numbers."""
import numpy as np
import pandas as pd

from pairs_platform.research.placebo import PlaceboResult
from pairs_platform.reporting.integrity import deflation_line, integrity_markdown, placebo_line


def _sleeves():
    row = dict(pairs_scheduled=4.0, net_pnl=-1200.0, cagr=-0.01, sharpe=-0.3, max_drawdown=-0.05,
               annual_volatility=0.02, trade_count=12.0, hit_rate=0.4)
    return pd.DataFrame({"all": {**row, "sharpe": 0.9}, "real data only": row,
                         "with a synthetic leg": {**row, "sharpe": 2.0}}).T


def test_real_sleeve_comes_first_and_verdicts_follow_p_values():
    text = integrity_markdown(_sleeves(), placebos=[
        PlaceboResult("ml", 0.9, 0.5, np.linspace(0, 1, 9), 0.89, 0.11, tuple(range(9))),
        PlaceboResult("regime", 0.9, 0.5, np.zeros(19), 1.0, 0.05 - 1e-9, tuple(range(19)))])
    lines = text.splitlines()
    assert lines[0].startswith("- real data only") and "Sharpe -0.30" in lines[0]
    assert "keep it off" in lines[-2] and "earns its place" in lines[-1]


def test_deflation_line_handles_undefined_numbers():
    line = deflation_line({"n_trials": 24.0, "oos_sharpe": float("nan"), "oos_sharpe_se": float("nan"),
                           "expected_max_sharpe": 1.1, "deflated_sharpe_ratio": float("nan"), "pbo": 0.4})
    assert "OOS Sharpe n/a" in line and "PBO 0.40" in line and "24 trials" in line
    assert placebo_line(PlaceboResult("ml", 1.0, 0.5, np.zeros(3), 1.0, 0.25, (0, 1, 2))).endswith("keep it off")
