"""Walk-forward parameter search: grid or random candidates, chosen on one window, scored on the next.

All candidates are simulated at once by the compiled kernel, in parallel over the cores. For each
trading window w the candidate with the best in-window score (``metric``) is chosen, and it trades
window w+1; the chained run of those choices (capital, and the drawdown breaker's peak, carried from
window to window) is the out-of-sample (OOS) result, the only one that makes the headline. The first
window has no earlier choice, so it is not in the OOS run. Per-trial full-period metrics are
reported in ``trials`` for inspection only: they are not selection results.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pairs_platform.backtest.engine import run_backtest, run_grid_arrays
from pairs_platform.backtest.inputs import prepare_inputs
from pairs_platform.backtest.metrics import performance_summary
from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.backtest.results import BacktestResult
from pairs_platform.backtest.stitch import stitch_results
from pairs_platform.parallel import Backend, chunked, parallel_map, parallel_task
from pairs_platform.risk.limits import RiskLimits

CANDIDATES_PER_CHUNK = 16
"""Parameter sets per chunk when a search fans out: the compiled kernel amortizes its setup over a chunk."""
METRICS = ("sharpe", "sortino", "calmar", "cagr", "total_return")
__all__ = ["CANDIDATES_PER_CHUNK", "METRICS", "SearchResult", "grid_chunk", "grid_chunks", "grid_params", "grid_search",
           "random_params", "random_search", "score_windows", "trading_windows", "walk_forward_search"]


@dataclass
class SearchResult:
    """Outcome of a walk-forward search.

    - ``trials``: one row per candidate (trial_id, its parameters, full-period metrics, mean window
      score, how often it was chosen).
    - ``window_scores``: window_id x trial_id in-window score.
    - ``selections``: per OOS window: the trial chosen on the previous window, that score, and the
      OOS return of the window.
    - ``oos``: the chained out-of-sample BacktestResult; ``headline``: its performance summary.
    """

    search: str
    metric: str
    trials: pd.DataFrame
    window_scores: pd.DataFrame
    selections: pd.DataFrame
    oos: BacktestResult | None
    headline: dict
    candidates: list


def grid_params(space: dict, base: StrategyParams = StrategyParams()) -> list[StrategyParams]:
    """Every combination of the value lists in ``space`` (field -> values), invalid ones skipped."""
    _check_space(space)
    names = list(space)
    out = []
    for values in itertools.product(*(list(space[n]) for n in names)):
        try:
            out.append(replace(base, **dict(zip(names, values))))
        except ValueError:
            continue  # e.g. exit_z >= entry_z: not a strategy
    return list(dict.fromkeys(out))


def random_params(space: dict, n_trials: int, seed: int = 0, base: StrategyParams = StrategyParams(),
                  max_draws: int | None = None) -> list[StrategyParams]:
    """``n_trials`` distinct random candidates: a list draws a choice, a (low, high) tuple a uniform
    number (an integer when both ends are ints); invalid draws are redrawn."""
    _check_space(space)
    rng = np.random.default_rng(seed)
    out: dict = {}
    for _ in range(max_draws or 50 * n_trials):
        if len(out) >= n_trials:
            break
        values = {name: _draw(rng, spec) for name, spec in space.items()}
        try:
            out.setdefault(replace(base, **values), None)
        except ValueError:
            continue
    return list(out)


def _draw(rng, spec):
    if isinstance(spec, tuple):
        low, high = spec
        if isinstance(low, int) and isinstance(high, int):
            return int(rng.integers(low, high + 1))
        return float(rng.uniform(low, high))
    values = list(spec)
    return values[int(rng.integers(len(values)))]


def _check_space(space: dict) -> None:
    unknown = sorted(set(space) - set(StrategyParams.field_names()))
    if unknown:
        raise ValueError(f"search space names unknown StrategyParams fields {unknown}; "
                         f"use some of {StrategyParams.field_names()}")


def trading_windows(schedule: pd.DataFrame, dates: pd.DatetimeIndex) -> pd.DataFrame:
    """Distinct trading windows of the schedule with their bar spans; raises if they overlap."""
    w = (schedule[["window_id", "trade_start", "trade_end"]].drop_duplicates("window_id")
         .sort_values("trade_start").reset_index(drop=True))
    if (w["trade_start"].iloc[1:].to_numpy() <= w["trade_end"].iloc[:-1].to_numpy()).any():
        raise ValueError("walk-forward search needs non-overlapping trading windows; build the windows with "
                         "step_days >= trading_days")
    w["first_bar"] = dates.searchsorted(pd.to_datetime(w["trade_start"]).values, side="left")
    w["last_bar"] = np.minimum(dates.searchsorted(pd.to_datetime(w["trade_end"]).values, side="right") - 1,
                               len(dates) - 1)
    return w


def _score(returns: np.ndarray, metric: str) -> float:
    value = performance_summary(returns)[metric]
    return float(value) if np.isfinite(value) else -np.inf


def score_windows(equity: np.ndarray, windows: pd.DataFrame, capital: float, metric: str) -> pd.DataFrame:
    """window_id x trial in-window score from each trial's daily equity (P, T)."""
    prev = np.concatenate([np.full((equity.shape[0], 1), capital), equity[:, :-1]], axis=1)
    returns = equity / prev - 1.0
    scores = np.array([[_score(returns[p, a:b + 1], metric) for p in range(equity.shape[0])]
                       for a, b in zip(windows["first_bar"], windows["last_bar"])])
    return pd.DataFrame(scores, index=pd.Index(windows["window_id"], name="window_id"),
                        columns=pd.RangeIndex(equity.shape[0], name="trial_id"))


def walk_forward_search(prices: pd.DataFrame, schedule: pd.DataFrame, candidates: list[StrategyParams],
                        instruments: pd.DataFrame | None = None, costs: CostModel = CostModel(),
                        limits: RiskLimits = RiskLimits(), capital: float = 1_000_000.0, metric: str = "sharpe",
                        open_prices: pd.DataFrame | None = None, search: str = "custom",
                        backend: Backend | None = None) -> SearchResult:
    """Score ``candidates`` per trading window and chain the out-of-sample choices (see module doc).

    ``backend`` (a :class:`pairs_platform.parallel.Backend`) simulates the candidates in chunks of
    :data:`CANDIDATES_PER_CHUNK` on its workers (:func:`grid_chunk`); the result equals the
    single-process one. None (default): every candidate at once in this process.
    """
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if not candidates:
        raise ValueError("walk_forward_search needs at least one candidate parameter set")
    inp = prepare_inputs(prices, schedule, instruments, list(candidates), costs, limits, None, open_prices)
    if backend is None:
        series, stats = run_grid_arrays(inp, capital)
        equity = series.equity
    else:
        shared = {"prices": prices, "schedule": schedule, "instruments": instruments, "costs": costs,
                  "limits": limits, "capital": float(capital), "open_prices": open_prices}
        equity, stats = grid_chunks(shared, list(candidates), backend)
    windows = trading_windows(inp.schedule, inp.dates)
    scores = score_windows(equity, windows, capital, metric)
    chosen = scores.to_numpy().argmax(axis=1)  # ties: the lowest trial id
    oos, selections = _chain_oos(prices, inp.schedule, windows, scores, chosen, candidates, instruments, costs,
                                 limits, capital, open_prices)
    trials = _trials_table(candidates, equity, stats, inp.first_bar, capital, scores, selections)
    headline = dict(oos.summary) if oos is not None else performance_summary([])
    return SearchResult(search, metric, trials, scores, selections, oos, headline, list(candidates))


def grid_chunks(shared: dict, candidates: list[StrategyParams], backend: Backend,
                chunk_size: int = CANDIDATES_PER_CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Daily equity (P, T) and counters (P,) of every candidate, simulated in chunks on ``backend``.

    ``shared``: prices, schedule, instruments, costs, limits, capital, open_prices (as for
    :func:`walk_forward_search`), sent with every chunk.
    """
    chunks = [{**shared, "params": candidates[c.start:c.stop]}
              for c in chunked(len(candidates), -(-len(candidates) // chunk_size))]
    parts = parallel_map(grid_chunk, chunks, backend)
    return np.concatenate([p["equity"] for p in parts]), np.concatenate([p["stats"] for p in parts])


@parallel_task
def grid_chunk(chunk: dict) -> dict:
    """Chunk function: ``{"equity": (P, T), "stats": (P,)}`` of the parameter sets ``chunk["params"]``
    (what :func:`run_grid_arrays` gives for them), from the keys of :func:`grid_chunks`' ``shared``."""
    inp = prepare_inputs(chunk["prices"], chunk["schedule"], chunk["instruments"], list(chunk["params"]),
                         chunk["costs"], chunk["limits"], None, chunk["open_prices"])
    series, stats = run_grid_arrays(inp, chunk["capital"])
    return {"equity": series.equity, "stats": stats}


def _chain_oos(prices, schedule, windows, scores, chosen, candidates, instruments, costs, limits, capital, open_prices):
    parts, rows = [], []
    equity, peak = float(capital), float(capital)
    for i in range(1, len(windows)):  # a loop over windows (few), not bars or pairs
        window_id, trial = windows["window_id"].iloc[i], int(chosen[i - 1])
        rows_w = schedule[schedule["window_id"] == window_id]
        res = run_backtest(prices, rows_w, instruments, candidates[trial], costs, limits, equity,
                           open_prices=open_prices, peak_equity=peak)
        end = pd.Timestamp(windows["trade_end"].iloc[i])
        parts.append(res)
        seg = res.equity.loc[:end]
        peak = max(peak, float(seg.max()))
        rows.append({"window_id": window_id, "trade_start": windows["trade_start"].iloc[i], "trade_end": end,
                     "chosen_trial": trial, "chosen_on_window": windows["window_id"].iloc[i - 1],
                     "in_sample_score": scores.iloc[i - 1, trial], "start_equity": equity,
                     "oos_return": float(seg.iloc[-1]) / equity - 1.0})
        equity = float(seg.iloc[-1])
    selections = pd.DataFrame(rows)
    if not parts:
        return None, selections
    return stitch_results(parts, list(selections["trade_end"]), capital), selections


def _trials_table(candidates, equity, stats, first, capital, scores, selections) -> pd.DataFrame:
    table = pd.DataFrame([c.to_dict() for c in candidates])
    table.insert(0, "trial_id", np.arange(len(candidates)))
    for p in range(len(candidates)):
        eq = equity[p, first:]
        summary = performance_summary(eq / np.r_[capital, eq[:-1]] - 1.0)
        for key in ("sharpe", "sortino", "cagr", "max_drawdown", "annual_volatility", "total_return"):
            table.loc[p, key] = summary[key]
    table["trade_count"] = stats["trade_count"]
    table["refusals"] = stats["refusals"]
    finite = scores.replace(-np.inf, np.nan)
    table["mean_window_score"] = finite.mean(axis=0).to_numpy()
    picked = selections["chosen_trial"].value_counts() if len(selections) else pd.Series(dtype=int)
    table["times_selected"] = table["trial_id"].map(picked).fillna(0).astype(np.int64)
    return table


def grid_search(prices: pd.DataFrame, schedule: pd.DataFrame, space: dict, base: StrategyParams = StrategyParams(),
                **kwargs) -> SearchResult:
    """Walk-forward search over the full grid of ``space`` (see :func:`walk_forward_search`)."""
    return walk_forward_search(prices, schedule, grid_params(space, base), search="grid", **kwargs)


def random_search(prices: pd.DataFrame, schedule: pd.DataFrame, space: dict, n_trials: int = 50, seed: int = 0,
                  base: StrategyParams = StrategyParams(), **kwargs) -> SearchResult:
    """Walk-forward search over ``n_trials`` random draws from ``space`` (see :func:`random_params`)."""
    return walk_forward_search(prices, schedule, random_params(space, n_trials, seed, base), search="random", **kwargs)
