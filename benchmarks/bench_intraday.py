"""Intraday engine throughput against the daily engine's, measured in the same run.

Run (from the repo root):
    .venv/bin/python benchmarks/bench_intraday.py [--sessions 120] [--years 20]

Both runs use the same 10 pairs (every pair of the synthetic market's 5 equities, beta 1), the same
strategy parameters, costs and risk limits. Intraday: ``run_intraday_backtest`` on seeded synthetic
5-minute XNYS bars (78 a session; one schedule row per pair and session: flat at each close; rolling
z / time-of-day volatility). Daily: ``run_backtest`` on the synthetic daily closes with one schedule
row per pair over the whole span (formation z-scores). Each is timed end to end (inputs, compiled
kernel, result tables) after one warm-up call (numba compile/cache load excluded), best of 3.
"Bars/s" counts bars of the price index; "pair-bars/s" multiplies by the pairs. Timings on a shared
machine are noisy: compare the ratio printed in one run, not absolute numbers.
"""
from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
import pandas as pd

from pairs_platform.backtest import run_backtest
from pairs_platform.backtest.intraday import IntradayBacktestConfig, run_intraday_backtest
from pairs_platform.data.sessions import session_schedule
from pairs_platform.data.sources.intraday import wide_closes
from pairs_platform.data.sources.synthetic import SyntheticSource
from pairs_platform.data.sources.synthetic_intraday import SyntheticIntradaySource

EQUITIES = ["EQ:SYNA", "EQ:SYNB", "EQ:SYNC", "EQ:SYND", "EQ:SYNF"]
PAIRS = pd.DataFrame([(y, x, 1.0) for y, x in itertools.combinations(EQUITIES, 2)], columns=["y", "x", "beta"])


def _best_of(fn, repeats: int = 3) -> float:
    fn()  # warm-up: compile or load the numba cache
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def _daily(years: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    bars = SyntheticSource(7).fetch(EQUITIES, f"{2023 - years}-01-01", "2023-12-31")
    closes = bars.pivot(index="date", columns="instrument_id", values="close").sort_index()
    logp = np.log(closes)
    spread = np.column_stack([logp[y] - logp[x] for y, x in zip(PAIRS["y"], PAIRS["x"])])
    schedule = PAIRS.assign(window_id=0, alpha=0.0, spread_mean=spread.mean(axis=0), spread_std=spread.std(axis=0),
                            half_life=np.nan, trade_start=closes.index[0], trade_end=closes.index[-1])
    return closes, schedule


def main() -> None:
    parser = argparse.ArgumentParser(description="intraday vs daily engine throughput")
    parser.add_argument("--sessions", type=int, default=120)
    parser.add_argument("--years", type=int, default=20)
    args = parser.parse_args()
    sessions = session_schedule("XNYS", "2023-01-01", "2023-12-31").index[:args.sessions]
    intraday = wide_closes(SyntheticIntradaySource(7).fetch_intraday(EQUITIES, sessions[0], sessions[-1], "5min"))
    config = IntradayBacktestConfig()
    daily, schedule = _daily(args.years)
    t_intra = _best_of(lambda: run_intraday_backtest(intraday, PAIRS, config))
    t_daily = _best_of(lambda: run_backtest(daily, schedule, params=config.params, costs=config.costs,
                                            limits=config.limits, capital=config.capital))
    intra_rate, daily_rate = len(intraday) / t_intra, len(daily) / t_daily
    print(f"intraday: {len(intraday):,} bars ({args.sessions} sessions x 78 five-minute bars) x {len(PAIRS)} pairs "
          f"({args.sessions * len(PAIRS):,} schedule rows) in {t_intra:.3f} s: {intra_rate:,.0f} bars/s, "
          f"{intra_rate * len(PAIRS):,.0f} pair-bars/s")
    print(f"daily:    {len(daily):,} bars ({args.years} years) x {len(PAIRS)} pairs (1 schedule row each) in "
          f"{t_daily:.3f} s: {daily_rate:,.0f} bars/s, {daily_rate * len(PAIRS):,.0f} pair-bars/s")
    print(f"ratio intraday/daily bars per second: {intra_rate / daily_rate:.2f}")


if __name__ == "__main__":
    main()
