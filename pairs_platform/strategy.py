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

The configuration in effect is :func:`load_strategy_config`: these defaults, overridden by the file
``PAIRS_STRATEGY_FILE`` names (TOML or JSON, field names as keys). The Dagster definitions build the
launchpad's ``strategy`` resource from it and the desk reads its capital from it: one source for both.
"""
from __future__ import annotations

import json
import os
import tomllib
import typing
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal, Mapping

from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.conventions import TRADING_DAYS_PER_YEAR
from pairs_platform.identifiers import validate_strategy_id
from pairs_platform.pairs.integrity import SelectionPolicy
from pairs_platform.pairs.selection import PairFilters
from pairs_platform.risk.limits import RiskLimits
from pairs_platform.settings import setting

_POLICY = SelectionPolicy()  # the measured default pair selection (docs/pair_selection.md, "False pairs")


@dataclass(frozen=True)
class StrategyConfig:
    """Walk-forward pair selection, trading rules, ML filter, sizing, risk and costs of one strategy.

    Defaults ("honest research", issue 8; selection values from
    :class:`~pairs_platform.pairs.integrity.SelectionPolicy`, measured on null and planted
    universes): pairs re-formed every quarter (63 trading days) on the trailing three years (756
    days), Engle-Granger in either regression direction (Bonferroni) within economic groups (sector
    for equities and futures, asset class for bonds and crypto), selected by Benjamini-Hochberg FDR
    at 5%, one pair per instrument, at most 10 pairs; entry at |z| 2, exit at 0.5, stop at 4, a time stop of three half-lives; the ML
    and regime entry filters are scored but OFF (neither beat its placebo out of sample on real
    data, docs/backtest.md); $1M of capital split equally across pairs.
    """

    strategy_id: str = setting("pairs_v1", "Names the strategy's reports, MLflow runs, ledger rows and "
                                           "client order ids; a letter then letters, digits, '_', '-', '.'.")
    capital: float = setting(1_000_000.0, "Starting capital of the backtest, in account currency.")
    formation_days: int = setting(_POLICY.formation_days, "Sessions of each formation window (pairs are "
                                                          "chosen on these).")
    trading_days: int = setting(_POLICY.trading_days, "Sessions each formation window's pairs trade before re-formation.")
    selection_method: Literal["engle_granger", "johansen", "distance"] = setting(
        "engle_granger", "Pair test: Engle-Granger, Johansen trace, or Gatev distance.")
    candidates: Literal["all", "group", "optics"] = setting(
        "group", "Candidate pairs: all, within each group_by group ('group'), or OPTICS clusters.")
    group_by: Literal["economic", "sector", "asset_class"] = setting(
        _POLICY.group_by, "Groups of candidates='group': 'economic' (sector for equities and futures, "
                          "asset class for bonds and crypto), 'sector' or 'asset_class'.")
    selection: Literal["pvalue", "fdr"] = setting(
        "fdr", "'fdr': Benjamini-Hochberg at significance (controls false pairs); 'pvalue': pair "
               "p-value <= significance per test (no multiple-testing control).")
    significance: float = setting(_POLICY.fdr, "FDR level, or the per-test p-value cut-off with selection='pvalue'.")
    max_pairs_per_window: int = setting(_POLICY.max_pairs, "Best-ranked pairs kept per formation window.")
    min_half_life_days: float = setting(_POLICY.min_half_life, "Shortest accepted spread half-life, in sessions.")
    max_half_life_days: float = setting(_POLICY.max_half_life, "Longest accepted spread half-life, in sessions.")
    entry_z: float = setting(2.0, "Open a spread when |z| reaches this.")
    exit_z: float = setting(0.5, "Close a spread when |z| falls back to this (0: at the crossing).")
    stop_z: float = setting(4.0, "Stop out when |z| reaches this against the position; no entry beyond it.")
    max_holding_halflives: float = setting(3.0, "Time stop in multiples of the pair's half-life (0: off).")
    zscore: Literal["formation", "rolling"] = setting(
        "formation", "Z-score from the formation mean/std, or from a trailing window.")
    pair_capital: float = setting(0.1, "Gross notional per pair as a share of equity.")
    use_ml_filter: bool = setting(False, "Apply the ML entry filter's verdict (False: score it only). Off: "
                                         "it did not beat its label-permutation placebo (docs/backtest.md).")
    use_regime_filter: bool = setting(False, "Apply the regime filter's verdict (False: score it only). Off: "
                                             "it did not beat its time-shift placebo (docs/backtest.md).")
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
    promotion_auc_margin: float = setting(
        0.005, "Promotion gate: a challenger of another specification must beat the champion's mean "
               "purged-CV fold AUC by at least this to become champion.")
    promotion_placebos: int = setting(
        20, "Promotion gate: label-permutation placebo models the challenger must beat (>= 20; "
            "ml.gate.PromotionPolicy checks it).")
    regime_method: Literal["volatility", "gmm", "hmm"] = setting(
        "volatility", "Market regime model, refit causally at every retrain cutoff: volatility "
                      "quantiles, Gaussian mixture, or hidden Markov model.")

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
        mine = {f.name for f in fields(self)}
        return StrategyParams(**{name: getattr(self, name) for name in StrategyParams.field_names() if name in mine})

    def costs(self) -> CostModel:
        """Commission and slippage of the backtest and of the paper broker."""
        return CostModel(commission_per_unit=self.commission_per_unit, min_commission=self.min_commission,
                         slippage_bps=self.slippage_bps)

    def limits(self) -> RiskLimits:
        """Risk limits checked before every entry."""
        return RiskLimits(max_gross=self.max_gross, max_drawdown=self.max_drawdown)

    def selection_policy(self) -> SelectionPolicy:
        """This strategy's Engle-Granger selection as a :class:`SelectionPolicy` (what the
        false-pair and recall measurements run); the defaults give ``SelectionPolicy()``."""
        return SelectionPolicy(formation_days=self.formation_days, trading_days=self.trading_days,
                               group_by=self.group_by, fdr=self.significance,
                               min_half_life=self.min_half_life_days, max_half_life=self.max_half_life_days,
                               max_pairs=self.max_pairs_per_window,
                               max_pvalue=self.significance if self.selection == "pvalue" else None)

    def filters(self) -> PairFilters:
        """Half-life filters of pair selection."""
        return PairFilters(min_half_life=self.min_half_life_days, max_half_life=self.max_half_life_days)

    def search_space(self) -> dict[str, list[float]]:
        """The parameter grid of the walk-forward search (see ``backtest.optimize``)."""
        return {"entry_z": list(self.search_entry_z), "exit_z": list(self.search_exit_z),
                "stop_z": list(self.search_stop_z), "pair_capital": list(self.search_pair_capital)}


STRATEGY_FILE_ENV = "PAIRS_STRATEGY_FILE"


def _read_strategy_file(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ValueError(f"{STRATEGY_FILE_ENV}={path}: cannot read it ({error.strerror or error}); "
                         "fix the path or unset the variable") from None
    try:
        values = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as error:
        raise ValueError(f"{STRATEGY_FILE_ENV}={path}: not valid {'JSON' if path.suffix.lower() == '.json' else 'TOML'} "
                         f"({error})") from None
    if not isinstance(values, dict):
        raise ValueError(f"{STRATEGY_FILE_ENV}={path}: expected a table of StrategyConfig fields, got "
                         f"{type(values).__name__}")
    return values


def load_strategy_config(env: Mapping[str, str] | None = None) -> StrategyConfig:
    """The strategy configuration in effect: :class:`StrategyConfig` defaults, overridden by the file
    named by ``PAIRS_STRATEGY_FILE`` (TOML, or JSON for a ``.json`` name; keys are field names).

    The Dagster definitions (``strategy`` resource: the launchpad's defaults) and the desk
    (``ApiSettings.from_env``) both call this, so they cannot disagree. Lists become tuples.

    Parameters
    ----------
    env : Mapping, optional
        Environment (default ``os.environ``).

    Returns
    -------
    StrategyConfig
        The validated configuration.

    Raises
    ------
    ValueError
        The file is unreadable or malformed, names a field ``StrategyConfig`` does not have, or holds
        a value it refuses; the message names the file, the field and the fix.
    """
    environ = os.environ if env is None else env
    name = environ.get(STRATEGY_FILE_ENV, "").strip()
    if not name:
        return StrategyConfig()
    path = Path(name).expanduser()
    values = _read_strategy_file(path)
    known = {item.name for item in fields(StrategyConfig)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"{STRATEGY_FILE_ENV}={path}: unknown field(s) {unknown}; StrategyConfig has "
                         f"{sorted(known)}")
    try:
        return StrategyConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
    except (TypeError, ValueError) as error:
        raise ValueError(f"{STRATEGY_FILE_ENV}={path}: {error}; fix the value in the file") from None
