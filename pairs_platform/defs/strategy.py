"""The strategy's settings, shared by every research and trading asset so they never disagree."""
from __future__ import annotations

import dagster as dg

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams
from pairs_platform.pairs.selection import PairFilters


class StrategyResource(dg.ConfigurableResource):
    """Walk-forward pair selection, trading rules, ML filter and sizing of one strategy.

    Defaults: pairs re-formed every quarter (63 trading days) on the trailing year (252 days),
    Engle-Granger within each asset class with the pair p-value (both regression
    directions) at most 5% (``selection="fdr"`` selects by Benjamini-Hochberg FDR instead, which
    on one-year windows of the default 37 instruments selects nothing: see docs), entry at |z| 2,
    exit at 0.5, stop at 4, a time stop of three half-lives, an ML entry filter retrained every
    year on labels resolved before its cutoff, and $1M of capital split equally across pairs.
    """

    strategy_id: str = "pairs_v1"
    capital: float = 1_000_000.0
    formation_days: int = 252
    trading_days: int = 63
    selection_method: str = "engle_granger"
    candidates: str = "group"
    selection: str = "pvalue"
    significance: float = 0.05
    max_pairs_per_window: int = 10
    min_half_life_days: float = 2.0
    max_half_life_days: float = 60.0
    entry_z: float = 2.0
    exit_z: float = 0.5
    stop_z: float = 4.0
    max_holding_half_lives: float = 3.0
    use_ml_filter: bool = True
    ml_model: str = "gradient_boosting"
    ml_threshold: float = 0.5
    ml_retrain_days: int = 252
    ml_min_training_samples: int = 60
    label_horizon_days: int = 20
    zscore: str = "formation"
    pair_capital: float = 0.1
    max_gross: float = 3.0
    max_drawdown: float = 0.25
    commission_per_unit: float = 0.005
    min_commission: float = 1.0
    slippage_bps: float = 5.0

    search_entry_z: list[float] = [1.5, 2.0, 2.5]
    search_exit_z: list[float] = [0.0, 0.5]
    search_stop_z: list[float] = [3.5, 4.5]
    search_pair_capital: list[float] = [0.1, 0.2]

    def search_space(self) -> dict:
        """The parameter grid of the walk-forward search (see backtest.optimize)."""
        return {"entry_z": self.search_entry_z, "exit_z": self.search_exit_z, "stop_z": self.search_stop_z,
                "pair_capital": self.search_pair_capital}

    def params(self) -> StrategyParams:
        return StrategyParams(entry_z=self.entry_z, exit_z=self.exit_z, stop_z=self.stop_z,
                              zscore=self.zscore, max_holding_halflives=self.max_holding_half_lives,
                              pair_capital=self.pair_capital)

    def costs(self) -> CostModel:
        return CostModel(commission_per_unit=self.commission_per_unit, min_commission=self.min_commission,
                         slippage_bps=self.slippage_bps)

    def limits(self) -> RiskLimits:
        return RiskLimits(max_gross=self.max_gross, max_drawdown=self.max_drawdown)

    def filters(self) -> PairFilters:
        return PairFilters(min_half_life=self.min_half_life_days, max_half_life=self.max_half_life_days)
