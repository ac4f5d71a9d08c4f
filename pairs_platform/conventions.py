"""Market conventions shared by every core package (one source of truth per number).

Attributes
----------
TRADING_DAYS_PER_YEAR : int
    Trading sessions per year used to annualize daily figures (returns, volatility, Sharpe,
    half-lives, crossings). 252 is the NYSE average and the literature's convention.
"""
from __future__ import annotations

TRADING_DAYS_PER_YEAR: int = 252
