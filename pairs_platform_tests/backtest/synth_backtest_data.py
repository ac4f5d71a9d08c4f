"""Small deterministic synthetic markets and schedules for the backtest tests (not a test module)."""
from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_prices(n_bars: int = 600, n_inst: int = 6, seed: int = 0, phi: float = 0.9,
                     noise: float = 0.01, start: str = "2020-01-01") -> pd.DataFrame:
    """Wide prices: a common random walk plus mean-reverting idiosyncratic parts (pairs co-move)."""
    rng = np.random.default_rng(seed)
    common = np.cumsum(rng.normal(0, noise, (n_bars, 1)), axis=0)
    shocks = rng.normal(0, noise, (n_bars, n_inst))
    ou = np.zeros((n_bars, n_inst))
    for t in range(1, n_bars):
        ou[t] = phi * ou[t - 1] + shocks[t]
    level = np.log(rng.uniform(20, 200, n_inst))
    dates = pd.bdate_range(start, periods=n_bars, name="date")
    return pd.DataFrame(np.exp(level + common + ou), index=dates, columns=[f"EQ:S{i}" for i in range(n_inst)])


def ols_selector(pairs: list[tuple[str, str]]):
    """A selector fitting log y = alpha + beta log x on the formation slice for fixed pairs."""
    def select(formation: pd.DataFrame) -> pd.DataFrame:
        lp = np.log(formation)
        rows = []
        for y, x in pairs:
            beta, alpha = np.polyfit(lp[x].to_numpy(), lp[y].to_numpy(), 1)
            spread = lp[y] - beta * lp[x] - alpha
            rows.append(dict(y=y, x=x, beta=beta, alpha=alpha, spread_mean=spread.mean(),
                             spread_std=spread.std(ddof=1), half_life=6.0, pvalue=0.01))
        return pd.DataFrame(rows)
    return select


def instrument_table(ids, lot=1, multiplier=1.0, asset_class="equity", borrow_bps=30.0, shortable=True) -> pd.DataFrame:
    """An instrument table with the columns the engine reads (scalars or per-id sequences)."""
    return pd.DataFrame({"lot_size": lot, "multiplier": multiplier, "asset_class": asset_class,
                         "shortable": shortable, "borrow_fee_bps": borrow_bps}, index=pd.Index(list(ids), name="instrument_id"))
