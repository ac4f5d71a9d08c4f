"""The whole configuration of one strategy, in one dataclass: the single source of every setting.

:class:`StrategyConfig` holds pair selection, trading rules, the ML filter, sizing, risk limits,
costs and the parameter-search grid, each field with its description (``field.metadata['doc']``).
The Dagster launchpad resource (``pairs_platform.defs.shared.strategy.StrategyResource``) is
generated from these fields, so names, types, defaults and descriptions cannot drift; the engine's
:class:`~pairs_platform.backtest.params.StrategyParams`, the :class:`CostModel`, the
:class:`RiskLimits` and the :class:`PairFilters` are built from it, never configured beside it.

Pipeline defaults differ on purpose from the engine's bare defaults where the pipeline's strategy
does: the pipeline exits at |z| 0.5 (``exit_z``; the engine's default is the crossing, 0) and has a
time stop of three half-lives. Costs live here only: the paper broker charges the same costs the
backtest assumed.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, fields
from typing import Literal

from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.conventions import TRADING_DAYS_PER_YEAR
from pairs_platform.identifiers import validate_strategy_id
from pairs_platform.pairs.selection import PairFilters
from pairs_platform.risk.limits import RiskLimits
from pairs_platform.settings import setting


@dataclass(frozen=True)
class StrategyConfig:
    """Walk-forward pair selection, trading rules, ML filter, sizing, risk and costs of one strategy.

    Defaults: pairs re-formed every quarter (63 trading days) on the trailing year (252 days),
    Engle-Granger within each asset class with the pair p-value (both regression directions) at
    most 5% (``selection='fdr'`` selects by Benjamini-Hochberg FDR instead, which on one-year windows
    of the default 37 instruments selects nothing: see docs), entry at |z| 2, exit at 0.5, stop at 4,
    a time stop of three half-lives, an ML entry filter retrained every year on labels resolved
    before its cutoff, and $1M of capital split equally across pairs.
    """

    strategy_id: str = setting("pairs_v1", "Names the strategy's reports, MLflow runs, ledger rows and "
                                           "client order ids; a letter then letters, digits, '_', '-', '.'.")
    capital: float = setting(1_000_000.0, "Starting capital of the backtest, in account currency.")
    formation_days: int = setting(TRADING_DAYS_PER_YEAR, "Sessions of each formation window (pairs are "
                                                         "chosen on these).")
    trading_days: int = setting(63, "Sessions each formation window's pairs trade before re-formation.")
    selection_method: Literal["engle_granger", "johansen", "distance"] = setting(
        "engle_granger", "Pair test: Engle-Granger, Johansen trace, or Gatev distance.")
    candidates: Literal["all", "group", "optics"] = setting(
        "group", "Candidate pairs: all, within each asset class ('group'), or OPTICS clusters.")
    selection: Literal["pvalue", "fdr"] = setting(
        "pvalue", "'pvalue': pair p-value <= significance; 'fdr': Benjamini-Hochberg at significance.")
    significance: float = setting(0.05, "P-value cut-off, or FDR level with selection='fdr'.")
    max_pairs_per_window: int = setting(10, "Best-ranked pairs kept per formation window.")
    min_half_life_days: float = setting(2.0, "Shortest accepted spread half-life, in sessions.")
    max_half_life_days: float = setting(60.0, "Longest accepted spread half-life, in sessions.")
    entry_z: float = setting(2.0, "Open a spread when |z| reaches this.")
    exit_z: float = setting(0.5, "Close a spread when |z| falls back to this (0: at the crossing).")
    stop_z: float = setting(4.0, "Stop out when |z| reaches this against the position; no entry beyond it.")
    max_holding_halflives: float = setting(3.0, "Time stop in multiples of the pair's half-life (0: off).")
    zscore: Literal["formation", "rolling"] = setting(
        "formation", "Z-score from the formation mean/std, or from a trailing window.")
    pair_capital: float = setting(0.1, "Gross notional per pair as a share of equity.")
    use_ml_filter: bool = setting(True, "Apply the ML entry filter's verdict (False: score it only).")
    ml_model: Literal["gradient_boosting", "logistic", "random_forest"] = setting(
        "gradient_boosting", "Classifier of the ML entry filter.")
    ml_threshold: typing.Optional[float] = setting(
        None, "Accept an entry where P(reversion) >= this; empty: the training base rate.")
    ml_retrain_days: int = setting(TRADING_DAYS_PER_YEAR, "Sessions between walk-forward retrainings.")
    ml_min_training_samples: int = setting(60, "Fewest resolved labels a segment needs to train a model.")
    label_horizon_days: int = setting(20, "Sessions a candidate has to revert before it is labelled a failure.")
    max_gross: float = setting(3.0, "Risk limit: gross exposure as a multiple of equity.")
    max_drawdown: float = setting(0.25, "Risk limit: no new entries beyond this drawdown from the peak.")
    commission_per_unit: float = setting(0.005, "Commission per share/contract (backtest and paper broker).")
    min_commission: float = setting(1.0, "Minimum commission per order (backtest and paper broker).")
    slippage_bps: float = setting(5.0, "Slippage against every fill, in basis points (backtest and paper broker).")
    search_entry_z: tuple[float, ...] = setting((1.5, 2.0, 2.5), "Parameter search grid of entry_z.")
    search_exit_z: tuple[float, ...] = setting((0.0, 0.5), "Parameter search grid of exit_z.")
    search_stop_z: tuple[float, ...] = setting((3.5, 4.5), "Parameter search grid of stop_z.")
    search_pair_capital: tuple[float, ...] = setting((0.1, 0.2), "Parameter search grid of pair_capital.")

    def __post_init__(self) -> None:
        validate_strategy_id(self.strategy_id, "StrategyConfig.strategy_id")
        hints = typing.get_type_hints(type(self))
        for item in fields(self):
            choices = typing.get_args(hints[item.name]) if typing.get_origin(hints[item.name]) is Literal else ()
            if choices and getattr(self, item.name) not in choices:
                raise ValueError(f"StrategyConfig.{item.name} = {getattr(self, item.name)!r}; use one of {choices}")
        for item in fields(self):
            if item.name.startswith("search_"):
                object.__setattr__(self, item.name, tuple(float(v) for v in getattr(self, item.name)))
        self.params()  # the engine's own checks (exit_z < entry_z < stop_z, ...)

    def params(self) -> StrategyParams:
        """The engine's trading rules and sizing (fields of the same name, engine defaults elsewhere)."""
        shared = {name: getattr(self, name) for name in StrategyParams.field_names() if hasattr(self, name)}
        return StrategyParams(**shared)

    def costs(self) -> CostModel:
        """Commission and slippage of the backtest and of the paper broker."""
        return CostModel(commission_per_unit=self.commission_per_unit, min_commission=self.min_commission,
                         slippage_bps=self.slippage_bps)

    def limits(self) -> RiskLimits:
        """Risk limits checked before every entry."""
        return RiskLimits(max_gross=self.max_gross, max_drawdown=self.max_drawdown)

    def filters(self) -> PairFilters:
        """Half-life filters of pair selection."""
        return PairFilters(min_half_life=self.min_half_life_days, max_half_life=self.max_half_life_days)

    def search_space(self) -> dict[str, list[float]]:
        """The parameter grid of the walk-forward search (see ``backtest.optimize``)."""
        return {"entry_z": list(self.search_entry_z), "exit_z": list(self.search_exit_z),
                "stop_z": list(self.search_stop_z), "pair_capital": list(self.search_pair_capital)}
