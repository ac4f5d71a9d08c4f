"""Pair selection: candidate generation, batched cointegration, distance, filters, FDR, hedges.

Pure core (no Dagster). Spread convention everywhere:
``spread_t = log P_y,t - beta * log P_x,t - alpha``.
"""
from pairs_platform.pairs.distance import distance_pairs, ssd_matrix

__all__ = ["distance_pairs", "ssd_matrix"]
