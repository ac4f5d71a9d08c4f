"""The planted equity pairs of the synthetic intraday source, as the intraday tests read them."""
import pandas as pd

from pairs_platform.data.sources.intraday import wide_closes
from pairs_platform.data.sources.synthetic_intraday import SyntheticIntradaySource


def planted_equity_market(end: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(wide 5-minute closes from 2024-01-02 to ``end``, the planted equity pairs: y, x, beta,
    half_life in bars)."""
    source = SyntheticIntradaySource(seed=11)
    truth = source.ground_truth()
    truth = truth[truth["y"].str.startswith("EQ:")].reset_index(drop=True)
    bars = source.fetch_intraday(sorted(set(truth["y"]) | set(truth["x"])), "2024-01-02", end, "5min")
    return wide_closes(bars), truth.assign(half_life=truth["half_life_bars"])[["y", "x", "beta", "half_life"]]
