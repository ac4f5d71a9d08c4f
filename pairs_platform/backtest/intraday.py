"""Intraday backtest: the daily engine's compiled kernel run on bars, with intraday inputs.

The kernel (:mod:`pairs_platform.backtest.kernel`) works on any bar index: it decides at the close
of bar t and fills at bar t+1, with the same costs and risk limits as the daily run. This wrapper
builds the intraday inputs around it:

- the z-scores are :func:`pairs_platform.signals.intraday.intraday_zscores` (rolling, time-of-day
  normalised, causal), injected in place of the schedule's formation z-scores;
- the entry mask forbids entries in the opening and closing windows (refusals read 'entry_window');
- with ``flat_at_close`` the schedule has one row per (pair, session) whose trading window is the
  session, so the kernel's window-end exit (decided on the second-to-last bar, filled at the last
  bar's close) leaves the book flat at each session's close; otherwise one row per pair spans all sessions;
- borrow accrues actual/365 per calendar day between session dates (not per bar), as in the daily run;
- ``vol_target`` sizing sees per-bar spread volatility rescaled to the daily convention;
- metrics are annualised with :func:`bars_per_year` bars a year (not 252).

Bars are tz-aware UTC timestamps (bar end); results carry the same UTC index.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from pairs_platform.backtest.engine import build_result, run_recorded
from pairs_platform.backtest.inputs import KernelInputs, prepare_inputs
from pairs_platform.backtest.metrics import performance_summary
from pairs_platform.backtest.params import CostModel, StrategyParams
from pairs_platform.backtest.results import BacktestResult
from pairs_platform.data.sessions import label_bars, session_schedule
from pairs_platform.risk.limits import REFUSAL_NAMES, REFUSE_ML_FILTER, RiskLimits
from pairs_platform.risk.sizing import PERIODS_PER_YEAR
from pairs_platform.signals import spreads as sp
from pairs_platform.signals.intraday import BarClock, IntradaySignalConfig, entry_window, intraday_zscores

PAIR_COLUMNS = ("y", "x", "beta")


@dataclass(frozen=True)
class IntradayBacktestConfig:
    """What an intraday backtest runs: exchange calendar, signal settings, strategy, costs, limits, capital.

    ``params.max_holding_days`` and ``cooldown_days`` count bars; ``params.zscore`` and
    ``params.lookback`` are ignored (the intraday z-score uses ``signal.lookback_bars``);
    ``dynamic_hedge`` is not supported intraday. Trading starts after ``signal.tod_sessions``
    warm-up sessions (the time-of-day profile needs that many past sessions).
    """

    exchange: str = "XNYS"
    signal: IntradaySignalConfig = field(default_factory=IntradaySignalConfig)
    params: StrategyParams = field(default_factory=lambda: StrategyParams(entry_z=2.0, exit_z=0.0, stop_z=4.0,
                                                                          cooldown_days=6))
    costs: CostModel = field(default_factory=CostModel)
    limits: RiskLimits = field(default_factory=RiskLimits)
    capital: float = 1_000_000.0

    def __post_init__(self) -> None:
        if self.params.dynamic_hedge:
            raise ValueError("IntradayBacktestConfig.params.dynamic_hedge is not supported intraday; use a fixed beta")


@dataclass
class IntradayBacktest:
    """An intraday run: the engine's :class:`BacktestResult` (summary annualised per bar), the bar clock,
    the intraday z-scores (bars x pair ids) and the bars per year used for annualisation."""

    result: BacktestResult
    clock: BarClock
    zscores: pd.DataFrame
    bars_per_year: float


def bars_per_year(clock: BarClock, exchange: str) -> float:
    """Sessions a year on ``exchange`` (the 365 days up to the last session) x median bars per session."""
    last = clock.sessions[-1]
    sessions = len(session_schedule(exchange, last - pd.Timedelta("364D"), last))
    return float(sessions * np.median(np.bincount(clock.session_code)))


def bar_clock(timestamps: pd.DatetimeIndex, exchange: str) -> BarClock:
    """The :class:`BarClock` of tz-aware bar-end timestamps on ``exchange``'s calendar."""
    return BarClock.from_labels(pd.DatetimeIndex(timestamps), label_bars(timestamps, exchange))


def intraday_schedule(clock: BarClock, pairs: pd.DataFrame, config: IntradayBacktestConfig) -> pd.DataFrame:
    """Schedule rows: one per (pair, trading session) with ``flat_at_close``, else one per pair.

    Sessions before ``signal.tod_sessions`` are warm-up (no trading). Bar times are tz-naive UTC.
    """
    missing = [c for c in PAIR_COLUMNS if c not in pairs.columns]
    if missing:
        raise ValueError(f"intraday pairs table lacks columns {missing}; give y, x, beta (alpha, half_life optional)")
    stamps = clock.timestamps.tz_convert("UTC").tz_localize(None)
    warm = int(config.signal.tod_sessions)
    if len(clock.sessions) <= warm:
        raise ValueError(f"intraday backtest needs more than {warm} sessions (signal.tod_sessions warm-up), "
                         f"got {len(clock.sessions)}; fetch more sessions or lower tod_sessions")
    code = clock.session_code  # sorted: each session's bars are contiguous
    starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    ends = np.r_[starts[1:] - 1, len(code) - 1]
    window_id, first, last = code[starts][warm:], stamps.values[starts][warm:], stamps.values[ends][warm:]
    if not config.signal.flat_at_close:
        window_id, first, last = window_id[:1], first[:1], last[-1:]
    base = pairs.reset_index(drop=True).assign(pair=lambda f: np.arange(len(f)))
    base = base.assign(alpha=base.get("alpha", 0.0), half_life=base.get("half_life", np.nan),
                       spread_mean=0.0, spread_std=1.0)
    rows = base.iloc[np.tile(np.arange(len(base)), len(window_id))].reset_index(drop=True)
    each = np.repeat(np.arange(len(window_id)), len(base))  # window-major, as a cross join
    rows.insert(0, "trade_end", last[each])
    rows.insert(0, "trade_start", first[each])
    rows.insert(0, "window_id", window_id.astype(np.int64)[each])
    return rows


def _intraday_inputs(closes: pd.DataFrame, schedule: pd.DataFrame, clock: BarClock, z: np.ndarray,
                     config: IntradayBacktestConfig, per_year: float) -> KernelInputs:
    """The engine's inputs with intraday z-scores, entry windows, per-day borrow and per-bar vol scaling.

    A pair's rows (one per session) share one signal column (``PairSchedule.signal_col``), so the
    stacks are (bars x pairs), not (bars x pair-sessions); the entry window is one (bars, 1) mask.
    """
    allowed = entry_window(clock, config.signal)[:, None]
    inp = prepare_inputs(closes, schedule, None, [config.params], config.costs, config.limits, allowed)
    pairs = inp.arrays.pairs
    first_rows = np.unique(pairs.signal_col, return_index=True)[1]  # the row whose signals each column holds
    col_z = np.ascontiguousarray(z[:, schedule["pair"].to_numpy()[first_rows]])
    zscores = np.ascontiguousarray(np.repeat(col_z[None], pairs.zscores.shape[0], axis=0))
    vols = np.ascontiguousarray(pairs.vols * np.sqrt(per_year / PERIODS_PER_YEAR))
    days = clock.sessions.values[clock.session_code].astype("datetime64[D]")
    accrual = np.r_[0.0, np.diff(days).astype(np.float64) / 365.0]
    market = inp.arrays.market._replace(accrual=accrual)
    arrays = inp.arrays._replace(market=market, pairs=pairs._replace(zscores=zscores, vols=vols))
    return dataclasses.replace(inp, arrays=arrays)


def _in_utc(result: BacktestResult, per_year: float) -> BacktestResult:
    def utc(frame):
        return frame.set_axis(pd.DatetimeIndex(frame.index).tz_localize("UTC").rename("timestamp"))
    refusals = result.refusals.copy()
    refusals["reason"] = refusals["reason"].replace({REFUSAL_NAMES[REFUSE_ML_FILTER]: "entry_window"})
    summary = performance_summary(result.returns.to_numpy(), periods_per_year=per_year, trades=result.trades,
                                  equity=result.equity)
    return dataclasses.replace(result, equity=utc(result.equity), returns=utc(result.returns),
                               exposure=utc(result.exposure), positions=utc(result.positions), refusals=refusals,
                               summary=summary)


class IntradayInputs(NamedTuple):
    """What :func:`simulate_intraday` runs: the kernel inputs, the bar clock, the intraday z-scores
    (bars x pair ids, on the closes' timestamps) and the bars per year; ``columns``: the closes' columns."""

    inp: KernelInputs
    clock: BarClock
    zscores: pd.DataFrame
    bars_per_year: float
    columns: pd.Index


def prepare_intraday(closes: pd.DataFrame, pairs: pd.DataFrame, config: IntradayBacktestConfig) -> IntradayInputs:
    """Validate ``closes`` and build the kernel inputs of :func:`run_intraday_backtest` (arguments alike)."""
    if not isinstance(closes.index, pd.DatetimeIndex) or closes.index.tz is None:
        raise TypeError("intraday closes must be indexed by tz-aware bar-end timestamps; "
                        "use pairs_platform.data.sources.intraday.wide_closes")
    clock = bar_clock(closes.index, config.exchange)
    per_year = bars_per_year(clock, config.exchange)
    schedule = intraday_schedule(clock, pairs, config)
    naive = closes.set_axis(clock.timestamps.tz_convert("UTC").tz_localize(None).rename("date"))
    one_per_pair = schedule[schedule["window_id"] == schedule["window_id"].iloc[0]].sort_values("pair")
    z = intraday_zscores(sp.pair_spreads(naive, one_per_pair), clock, config.signal)
    inp = _intraday_inputs(naive, schedule, clock, z, config, per_year)
    ids = [f"{y}~{x}" for y, x in zip(pairs["y"], pairs["x"])]
    return IntradayInputs(inp, clock, pd.DataFrame(z, index=closes.index, columns=ids), per_year, closes.columns)


def simulate_intraday(prepared: IntradayInputs, config: IntradayBacktestConfig) -> IntradayBacktest:
    """Run the compiled kernel on ``prepared`` (:func:`prepare_intraday`) and build the result tables."""
    inp, per_year = prepared.inp, prepared.bars_per_year
    raw = run_recorded(inp, config.capital, config.capital)
    result = build_result(inp, raw, prepared.columns, config.params, config.costs, config.limits, config.capital)
    return IntradayBacktest(_in_utc(result, per_year), prepared.clock, prepared.zscores, per_year)


def run_intraday_backtest(closes: pd.DataFrame, pairs: pd.DataFrame,
                          config: IntradayBacktestConfig = IntradayBacktestConfig()) -> IntradayBacktest:
    """Simulate ``pairs`` (rows y, x, beta[, alpha, half_life in bars]) on intraday ``closes``.

    ``closes``: wide bar closes indexed by tz-aware bar-end timestamps (one session calendar,
    ``config.exchange``). Trade and refusal dates in the result are tz-naive UTC.
    """
    return simulate_intraday(prepare_intraday(closes, pairs, config), config)


def parse_pairs(specs: list[str]) -> pd.DataFrame:
    """Pairs table (y, x, beta) from ``'Y~X~BETA'`` strings, e.g. ``'EQ:SYNB~EQ:SYNA~1.0'``."""
    rows = []
    for spec in specs:
        parts = str(spec).split("~")
        try:
            rows.append((parts[0], parts[1], float(parts[2])))
        except (IndexError, ValueError) as exc:
            raise ValueError(f"intraday pair {spec!r} is not 'Y~X~BETA' (e.g. 'EQ:SYNB~EQ:SYNA~1.0')") from exc
    return pd.DataFrame(rows, columns=list(PAIR_COLUMNS))


def session_targets(closes: pd.DataFrame, pairs: pd.DataFrame, config: IntradayBacktestConfig) -> pd.DataFrame:
    """Long target units of the LAST session of ``closes`` (the earlier sessions are the warm-up).

    With ``flat_at_close`` each session trades on its own (the book is flat at every close), so
    the newest session's targets only need its ``signal.tod_sessions`` predecessors. Columns:
    ``session``, ``timestamp``, ``instrument_id``, ``units``.
    """
    run = run_intraday_backtest(closes, pairs, config)
    code = run.clock.session_code
    last = closes.index[code == code[-1]]
    long = run.result.positions.loc[last].rename_axis("timestamp").reset_index().melt(
        id_vars="timestamp", var_name="instrument_id", value_name="units")
    return long.assign(session=run.clock.sessions[-1])[["session", "timestamp", "instrument_id", "units"]]
