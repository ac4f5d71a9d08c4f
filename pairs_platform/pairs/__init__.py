"""Pair selection: candidate generation, batched cointegration, distance, filters, FDR, hedges.

Pure core (no Dagster). Spread convention everywhere:
``spread_t = log P_y,t - beta * log P_x,t - alpha``.
"""
from pairs_platform.pairs.coint import CointBatchResult, coint_batch, coint_pairs
from pairs_platform.pairs.distance import distance_pairs, ssd_matrix
from pairs_platform.pairs.fdr import bh_qvalues, select_by_fdr
from pairs_platform.pairs.hedge import kalman_hedge, ols_hedge, rolling_ols_hedge, tls_hedge
from pairs_platform.pairs.johansen import JohansenBatchResult, johansen_pairs
from pairs_platform.pairs.mackinnon import mackinnonp
from pairs_platform.pairs.selection import NO_FILTERS, PairFilters, select_pairs

__all__ = [
    "CointBatchResult", "JohansenBatchResult", "NO_FILTERS", "PairFilters", "bh_qvalues",
    "coint_batch", "coint_pairs", "distance_pairs", "johansen_pairs", "kalman_hedge",
    "mackinnonp", "ols_hedge", "rolling_ols_hedge", "select_by_fdr", "select_pairs",
    "ssd_matrix", "tls_hedge",
]
