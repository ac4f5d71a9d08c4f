"""``select_pairs``: one formation window in, a ranked table of tradable pairs out.

Pipeline: candidates (all / group / PCA+OPTICS / explicit) -> test stage (Engle-Granger with
Benjamini-Hochberg FDR, Johansen, or distance) -> statistics of the pairs that passed (hedge
ratio, spread moments, half-life, Hurst, crossings, correlation, SSD, Johansen, Engle-Granger)
-> filters -> ranking. ``DataFrame.attrs["funnel"]`` counts the pairs at every step.

Spread convention (binding): ``spread_t = log P_y,t - beta * log P_x,t - alpha``; ``spread_mean``
and ``spread_std`` (ddof=1) are of that spread over the formation window given.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from pairs_platform.conventions import TRADING_DAYS_PER_YEAR
from pairs_platform.pairs import candidates as cand
from pairs_platform.pairs import screening, spread_stats
from pairs_platform.pairs._validation import wide_price_matrix
from pairs_platform.pairs.funnel import expected_false_discoveries, explain_funnel
from pairs_platform.pairs.distance import distance_spread_stats, pair_ssd
from pairs_platform.pairs.hedge import ols_hedge, tls_hedge

METHODS = ("engle_granger", "johansen", "distance")


def unit_hedge(y, x):
    """Gatev's normalized-price hedge: beta = 1, alpha = y_0 - x_0 (first-bar log difference)."""
    return np.ones(y.shape[1]), y[0] - x[0]


HEDGES = {"ols": ols_hedge, "tls": tls_hedge, "unit": unit_hedge}
DEFAULT_HEDGE = {"engle_granger": "ols", "johansen": "ols", "distance": "unit"}
RANK_KEYS = {"engle_granger": ("pvalue", "stat"), "johansen": ("-johansen_trace", "pvalue"),
             "distance": ("ssd", "pvalue")}
FIRST_COLUMNS = ["y", "x", "beta", "alpha", "half_life", "spread_mean", "spread_std", "pvalue",
                 "qvalue", "stat"]


@dataclass(frozen=True)
class PairFilters:
    """Filters on the pairs that passed the test (Sarmento and Horta 2020's defaults).

    A bound of None switches that filter off. Half-life is in bars; crossings of the spread's
    formation mean are counted per year of ``periods_per_year`` bars; correlation is of bar
    returns.
    """

    min_half_life: float | None = 1.0
    max_half_life: float | None = float(TRADING_DAYS_PER_YEAR)
    max_hurst: float | None = 0.5
    min_crossings_per_year: float | None = 12.0
    min_correlation: float | None = None
    periods_per_year: float = float(TRADING_DAYS_PER_YEAR)

    def _rules(self):
        low = -np.inf if self.min_half_life is None else self.min_half_life
        high = np.inf if self.max_half_life is None else self.max_half_life
        return [
            ("passed_half_life", self.min_half_life is not None or self.max_half_life is not None,
             lambda t: t["half_life"].between(low, high)),
            ("passed_hurst", self.max_hurst is not None, lambda t: t["hurst"] < self.max_hurst),
            ("passed_crossings", self.min_crossings_per_year is not None,
             lambda t: t["crossings_per_year"] >= self.min_crossings_per_year),
            ("passed_correlation", self.min_correlation is not None,
             lambda t: t["correlation"] >= self.min_correlation),
        ]

    def names(self) -> list[str]:
        """Funnel names of the active filters, in the order they are applied."""
        return [name for name, active, _ in self._rules() if active]

    def checks(self, table: pd.DataFrame) -> list[tuple[str, np.ndarray]]:
        """(funnel name, pass mask) of every active filter, in the order they are applied."""
        return [(name, rule(table).to_numpy()) for name, active, rule in self._rules() if active]


NO_FILTERS = PairFilters(None, None, None, None, None)


def candidate_pairs(names, series, candidates, instruments, group_by, optics_options):
    """Column positions (iy, ix) of the candidate pairs (see :func:`select_pairs`)."""
    if isinstance(candidates, str):
        if candidates == "all":
            return cand.all_pairs(len(names))
        if candidates == "group":
            return cand.pairs_within_labels(cand.group_labels(names, instruments, group_by))
        if candidates == "optics":
            return cand.pairs_within_labels(cand.optics_labels(series, **(optics_options or {})))
        raise ValueError(f"candidates must be 'all', 'group', 'optics' or a list of (y, x) pairs, "
                         f"got {candidates!r}")
    pairs = list(candidates)
    position = pd.Index(names)
    flat = [leg for pair in pairs for leg in pair]
    unknown = sorted({str(leg) for leg in flat if leg not in position})
    if unknown:
        raise KeyError(f"candidate pairs name instruments {unknown[:10]} that are not price columns")
    legs = position.get_indexer(flat).reshape(-1, 2) if pairs else np.empty((0, 2), dtype=int)
    return legs[:, 0], legs[:, 1]


def _run_stage(method, values, series, iy, ix, fdr, n_pairs, options):
    if method == "engle_granger":
        return screening.engle_granger_stage(series, iy, ix, fdr=fdr, **options)
    if method == "johansen":
        return screening.johansen_stage(series, iy, ix, **options)
    return screening.distance_stage(values, iy, ix, n_pairs=n_pairs)


def pair_statistics(values, series, screen, method, hedge, filters, coint_options,
                    johansen_options) -> dict[str, np.ndarray]:
    """Every statistic of the given pairs, as columns (spread convention of this module)."""
    iy, ix = screen.iy, screen.ix
    stats = dict(screen.stats)
    if method != "engle_granger":
        eg = screening.engle_granger_stats(series, iy, ix, direction="fixed", **coint_options)
        stats.update(eg.stats)
    beta, alpha = HEDGES[hedge](series[:, iy], series[:, ix])
    spread = spread_stats.pair_spreads(series, iy, ix, beta, alpha)
    stats.update(beta=beta, alpha=alpha, spread_mean=spread.mean(axis=0),
                 spread_std=spread.std(axis=0, ddof=1), half_life=spread_stats.half_life(spread),
                 hurst=spread_stats.hurst_exponent(spread),
                 crossings_per_year=spread_stats.crossings_per_year(spread, filters.periods_per_year))
    stats["correlation"] = spread_stats.pair_return_correlation(series, iy, ix)
    stats.setdefault("ssd", pair_ssd(values, iy, ix))
    stats["gatev_spread_std"] = distance_spread_stats(values, iy, ix)["gatev_spread_std"]
    if "johansen_trace" not in stats:
        stats.update(screening.johansen_stats(series, iy, ix, **johansen_options))
    stats.setdefault("qvalue", np.full(len(iy), np.nan))
    return stats


def _rank(table: pd.DataFrame, method: str) -> pd.DataFrame:
    keys = [k.lstrip("-") for k in RANK_KEYS[method]]
    ascending = [not k.startswith("-") for k in RANK_KEYS[method]]
    table = table.sort_values(keys + ["y", "x"], ascending=ascending + [True, True], kind="stable")
    table = table.reset_index(drop=True)
    table.insert(2, "rank", np.arange(1, len(table) + 1))
    return table


def _check_choices(method: str, hedge: str) -> None:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if hedge not in HEDGES:
        raise ValueError(f"hedge must be one of {tuple(HEDGES)}, got {hedge!r}")


def _filter_and_rank(table, filters, method, max_pairs, funnel, disjoint: bool = False) -> pd.DataFrame:
    keep = np.ones(len(table), dtype=bool)
    for name, mask in (filters or NO_FILTERS).checks(table):
        keep &= mask
        funnel[name] = int(keep.sum())
    table = _rank(table[keep], method)
    if disjoint:
        table = table[cand.one_pair_per_leg(table["y"], table["x"])].reset_index(drop=True)
        table["rank"] = np.arange(1, len(table) + 1)
        funnel["one_pair_per_leg"] = int(len(table))
    if max_pairs is not None:
        table = table.head(int(max_pairs))
    first = FIRST_COLUMNS[:2] + ["rank"] + FIRST_COLUMNS[2:]
    return table[first + [c for c in table.columns if c not in first]]


def select_pairs(prices: pd.DataFrame, instruments: pd.DataFrame | None = None, *,
                 method: str = "engle_granger", candidates="all", fdr: float = 0.05,
                 trend: str = "c", maxlag: int | None = None, autolag: str | None = "bic",
                 direction: str = "both", hedge: str | None = None,
                 filters: PairFilters | None = PairFilters(), max_pairs: int | None = None,
                 n_pairs: int = 20, group_by: str = "sector", log_prices: bool = True,
                 optics_options: dict | None = None,
                 johansen_options: dict | None = None, max_pvalue: float | None = None,
                 one_pair_per_leg: bool = False) -> pd.DataFrame:
    """Select and rank the pairs of one formation window.

    Parameters
    ----------
    prices : wide prices of ONE formation window (DatetimeIndex ``date``, a column per instrument
        id, positive). Only these rows are used: pass data up to the formation end only.
    instruments : instrument table (indexed by instrument_id), needed for ``candidates="group"``.
    method : "engle_granger" (tests with BH q-values, pass q <= fdr), "johansen" (trace test of
        r = 0 at ``johansen_options["level"]``, default 0.95) or "distance" (``n_pairs`` smallest
        SSD of normalized prices, Gatev et al. 2006).
    candidates : "all", "group" (same ``group_by`` value: "sector", "asset_class" or "economic":
        sector for equities and futures, asset class otherwise), "optics"
        (PCA + OPTICS of returns, ``optics_options`` for :func:`candidates.optics_labels`) or an
        explicit list of (y, x) instrument ids.
    trend, maxlag, autolag : Engle-Granger options (statsmodels ``coint``'s). The default lag
        search is BIC, not statsmodels' AIC: AIC's lag search makes the far tail of the null
        p-values, where FDR selection operates, about twice too heavy (docs/pair_selection.md).
    direction : "both" (both regressions; the pair p-value is the larger of the two), "either"
        (Bonferroni bound on the smaller) or "fixed" (y = first leg of the candidate); see
        :func:`screening.engle_granger_stats`.
    hedge : "ols", "tls" or "unit" (beta 1, alpha the first-bar log gap); default "ols", "unit"
        for distance. filters : :class:`PairFilters` (None: no filters). max_pairs : keep the top.
    max_pvalue : Engle-Granger only: pass pairs whose pair p-value is <= this per-test level instead
        of selecting by FDR (no multiple-testing control; ``funnel["passed_fdr"]`` still says how
        many would pass at ``fdr``).
    log_prices : work on log prices (the platform's spread convention); False uses raw prices.
    one_pair_per_leg : after the filters, keep a pair only if neither leg is in a better-ranked
        kept pair (:func:`candidates.one_pair_per_leg`; funnel step ``one_pair_per_leg``).

    Returns
    -------
    DataFrame, one row per selected pair ranked best first (column ``rank``), with ``y, x, beta,
    alpha, half_life, spread_mean, spread_std, pvalue, qvalue, stat`` and the other statistics
    (lag, pvalue_reverse, pvalue_pair, correlation, hurst, crossings_per_year, ssd,
    gatev_spread_std, johansen_trace, johansen_max_eig, ...). ``attrs["funnel"]`` holds the counts
    (candidates, tested, passed_test, passed_<filter>..., [one_pair_per_leg], selected) and ``screening_seconds``;
    ``attrs["funnel_explained"]`` the same steps as ``{step: (count, explanation)}``;
    ``attrs["n_tests"]`` the number of pair-level tests (the multiple-testing burden) and
    ``attrs["expected_false_discoveries"]`` an upper bound on the false pairs among those that
    passed the test (see :func:`pairs_platform.pairs.funnel.expected_false_discoveries`).
    The default (Benjamini-Hochberg at ``fdr``) is the one that controls false pairs; see
    :class:`pairs_platform.pairs.integrity.SelectionPolicy` for the measured default settings.
    """
    started = time.perf_counter()
    hedge = hedge or DEFAULT_HEDGE.get(method, "ols")
    _check_choices(method, hedge)
    values = wide_price_matrix(prices)
    series = np.log(values) if log_prices else values
    names = list(prices.columns)
    iy, ix = candidate_pairs(names, series, candidates, instruments, group_by, optics_options)
    coint_options = {"trend": trend, "maxlag": maxlag, "autolag": autolag}
    joh = {"det_order": 0, "k_ar_diff": 1, **(johansen_options or {})}
    stage_options = ({**coint_options, "direction": direction, "max_pvalue": max_pvalue}
                     if method == "engle_granger"
                     else dict(joh))
    screen = _run_stage(method, values, series, iy, ix, fdr, n_pairs, stage_options)
    funnel = _test_funnel(method, screen, len(iy), fdr)
    survivors = screen.subset(screen.passed)
    joh.pop("level", None)
    stats = pair_statistics(values, series, survivors, method, hedge, filters or NO_FILTERS,
                            coint_options, joh)
    table = pd.DataFrame({"y": np.asarray(names, dtype=object)[survivors.iy],
                          "x": np.asarray(names, dtype=object)[survivors.ix], **stats})
    table = _filter_and_rank(table, filters, method, max_pairs, funnel, one_pair_per_leg)
    funnel.update(selected=int(len(table)), screening_seconds=time.perf_counter() - started)
    settings = {"method": method, "candidates": candidates if isinstance(candidates, str) else "list",
                "group_by": group_by, "direction": direction, "fdr": fdr, "max_pairs": max_pairs,
                "max_pvalue": max_pvalue if method == "engle_granger" else None,
                "one_pair_per_leg": bool(one_pair_per_leg), **asdict(filters or NO_FILTERS)}
    return _with_attrs(table, funnel, prices, settings)


def _test_funnel(method: str, screen, n_candidates: int, fdr: float) -> dict:
    """The funnel's first steps: candidates, tests, passes (and passes at ``fdr`` when q-values exist)."""
    funnel = {"method": method, "candidates": int(n_candidates), "tested": int(screen.n_tests),
              "passed_test": int(screen.passed.sum())}
    if "qvalue" in screen.stats:
        funnel["passed_fdr"] = int(np.sum(screen.stats["qvalue"] <= fdr))
    return funnel


def _with_attrs(table: pd.DataFrame, funnel: dict, prices: pd.DataFrame, settings: dict) -> pd.DataFrame:
    table.attrs["funnel"] = funnel
    table.attrs["n_tests"] = funnel["candidates"]
    table.attrs["expected_false_discoveries"] = (
        expected_false_discoveries(funnel["candidates"], funnel["passed_test"], settings["fdr"],
                                   settings["max_pvalue"])
        if settings["method"] == "engle_granger" else float("nan"))
    table.attrs["funnel_explained"] = explain_funnel(funnel, settings)
    table.attrs["formation_start"], table.attrs["formation_end"] = prices.index[0], prices.index[-1]
    return table
