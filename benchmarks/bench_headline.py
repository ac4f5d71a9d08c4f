"""The demo's real-data headline from the core functions, without Dagster.

Run: ``PYTHONPATH=$PWD python benchmarks/bench_headline.py [--start 2015-01-02] [--end 2022-12-28]``.

Does what ``make demo``'s ``pairs_pipeline`` does up to ``backtest_results``, on the embedded default
sources (``SourceSelection()``: bundled real equities and ETFs, synthetic futures, bonds and crypto)
and the default ``StrategyConfig()``: fetch, clean, continuous futures, the walk-forward schedule
of the default selection, then ``research.headline.build_headline``. Both entry filters are off by
default, so no entry mask is applied (the pipeline's ``entry_allowed`` is then the z-score rule
the engine applies itself) and the ML/regime ablation is not run here. Prints the universe, the
selection totals, the real-data sleeve (the headline), the synthetic-leg sleeve and the edge verdict.
"""
from __future__ import annotations

import argparse
import time

import pandas as pd

from pairs_platform.data import clean_bars, continuous_futures, previous_trading_day, session_for, to_wide
from pairs_platform.data import trading_days
from pairs_platform.data.sources.registry import SourceSelection, instrument_ids
from pairs_platform.identifiers import ASSET_CLASSES
from pairs_platform.pairs import select_pairs
from pairs_platform.pairs.funnel import summarize_windows
from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows
from pairs_platform.reporting.integrity import edge_line
from pairs_platform.research.headline import REAL, SYNTHETIC, build_headline
from pairs_platform.research.placebo import BacktestSpec
from pairs_platform.strategy import StrategyConfig


def price_panel(start: str, end: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(wide research prices, instrument table) as ``price_panel`` builds them for one ranged run."""
    sources = SourceSelection()
    instruments = sources.instrument_table()
    days = trading_days(start, end)
    first = previous_trading_day(days[0]) + pd.Timedelta(days=1)
    frames = []
    for asset_class in ASSET_CLASSES:
        ids = instrument_ids(instruments, asset_class)
        if ids:
            bars = sources.source_for(asset_class).fetch(ids, first, days[-1])
            bars = bars.assign(session=session_for(pd.DatetimeIndex(bars["date"])))
            frames.append(bars[bars["session"].isin(days)].drop(columns=["session"]))
    cleaned = clean_bars(pd.concat(frames, ignore_index=True), days, instruments).bars
    return to_wide(continuous_futures(cleaned, instruments)), instruments


def schedule_of(config: StrategyConfig, prices: pd.DataFrame, instruments: pd.DataFrame):
    """The walk-forward pair schedule of ``pair_universe`` and its windows' selection attrs."""
    policy, attrs = config.selection_policy(), []

    def select(formation: pd.DataFrame) -> pd.DataFrame:
        usable = formation.dropna(axis=1)
        chosen = select_pairs(usable, instruments.loc[usable.columns], method=config.selection_method,
                              candidates=config.candidates, group_by=policy.group_by, fdr=policy.fdr,
                              direction=policy.direction, max_pvalue=policy.max_pvalue,
                              filters=policy.filters(), max_pairs=policy.max_pairs,
                              one_pair_per_leg=policy.one_pair_per_leg)
        attrs.append(dict(chosen.attrs))
        return chosen

    windows = walk_forward_windows(prices.index, config.formation_days, config.trading_days)
    return build_pair_schedule(prices, windows, select), attrs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2015-01-02")
    parser.add_argument("--end", default="2022-12-28")
    args = parser.parse_args()
    began = time.perf_counter()
    config = StrategyConfig()
    prices, instruments = price_panel(args.start, args.end)
    real_ids = instruments.index[instruments["data_source"] != "synthetic"]
    print(f"universe: {prices.shape[1]} instruments ({len(real_ids.intersection(prices.columns))} real), "
          f"{len(prices)} sessions {prices.index[0].date()}..{prices.index[-1].date()}")
    schedule, attrs = schedule_of(config, prices, instruments)
    totals = summarize_windows(attrs)
    real = schedule["y"].isin(real_ids) & schedule["x"].isin(real_ids)
    print(f"selection: {totals['tests_run']} tests over {totals['windows']} windows, {len(schedule)} scheduled "
          f"pairs ({int(real.sum())} real-only: "
          f"{', '.join(sorted(set(schedule.loc[real, 'y'] + '~' + schedule.loc[real, 'x']))) or 'none'})")
    spec = BacktestSpec(prices, schedule, instruments, config.params(), config.costs(), config.limits(),
                        config.capital)
    table = build_headline(spec, None, {"none": None}).table
    for name in (REAL, SYNTHETIC, "all"):
        row = table.loc[name]
        print(f"{name:<21} pairs {int(row['pairs_scheduled']):3d}  Sharpe {row['sharpe']:6.2f} "
              f"[{row['sharpe_low']:+.2f}, {row['sharpe_high']:+.2f}]  PSR {row['psr']:.2f}  "
              f"CAGR {row['cagr']:+7.2%}  net P&L {row['net_pnl']:>12,.0f}  trades {int(row['trade_count'])}")
    print(edge_line(table))
    print(f"({time.perf_counter() - began:.0f} s)")


if __name__ == "__main__":
    main()
