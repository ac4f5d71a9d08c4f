"""`make demo-intraday`: synthetic 5-minute bars -> spreads/z -> intraday backtest -> paper orders; a summary.

Everything is SYNTHETIC (the seeded intraday market of
:mod:`pairs_platform.data.sources.synthetic_intraday`): the figures show the path works, not that
the strategy earns money. The paper orders of the last session's bars go through the one order path
(order manager, risk engine, paper broker) into a SQLite ledger under ``$PAIRS_DATA_DIR`` (``./.data``)
or ``--ledger``; re-running the demo sends nothing twice (bar-keyed client order ids).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from pairs_platform.backtest.intraday import IntradayBacktestConfig, run_intraday_backtest
from pairs_platform.data.sessions import session_schedule
from pairs_platform.data.sources.intraday import wide_closes
from pairs_platform.data.sources.synthetic_intraday import SyntheticIntradaySource
from pairs_platform.execution import Ledger, OrderManager, PaperBroker
from pairs_platform.execution.intraday import trade_bars
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig
from pairs_platform.paths import data_dir

STRATEGY_ID = "intraday-demo"


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--end", default="2024-03-28", help="last session (date)")
    parser.add_argument("--sessions", type=int, default=15, help="sessions fetched (the first 10 are warm-up)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--ledger", default="", help="SQLAlchemy URL of the paper ledger")
    return parser.parse_args(argv)


def _market(args) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    source = SyntheticIntradaySource(args.seed)
    truth = source.ground_truth()
    truth = truth[truth["y"].str.startswith("EQ:")].reset_index(drop=True)
    end = pd.Timestamp(args.end)
    sessions = session_schedule("XNYS", end - pd.Timedelta(days=3 * args.sessions), end).index[-args.sessions:]
    bars = source.fetch_intraday(sorted(set(truth["y"]) | set(truth["x"])), sessions[0], sessions[-1], "5min")
    pairs = truth.assign(half_life=truth["half_life_bars"])[["y", "x", "beta", "half_life"]]
    return bars, wide_closes(bars), pairs


def _paper(ledger_url: str, run, closes: pd.DataFrame, bars: pd.DataFrame, config: IntradayBacktestConfig):
    ledger = Ledger(ledger_url)
    broker = PaperBroker(ledger, config.costs.commission_per_unit, config.costs.min_commission,
                         config.costs.slippage_bps)
    manager = OrderManager(broker, ledger, RiskEngine(RiskEngineConfig(limits=config.limits,
                                                                       capital=config.capital)))
    sessions = pd.Series(run.clock.sessions[run.clock.session_code], index=closes.index)
    last = sessions == sessions.iloc[-1]
    positions = run.result.positions.loc[closes.index[last]]
    trades = trade_bars(manager, broker, STRATEGY_ID, positions, closes.loc[positions.index], sessions)
    return trades, ledger


def main(argv: list[str] | None = None) -> None:
    """Run the intraday demo and print its summary."""
    args = _arguments(argv)
    bars, closes, pairs = _market(args)
    config = IntradayBacktestConfig()
    run = run_intraday_backtest(closes, pairs, config)
    url = args.ledger or f"sqlite:///{data_dir() / 'intraday_demo' / 'ledger.db'}"
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    trades, ledger = _paper(url, run, closes, bars, config)
    s, res = run.result.summary, run.result
    print("=== pairs_platform intraday demo (SYNTHETIC market: illustrative numbers, not a track record) ===")
    print(f"bars: {len(bars):,} 5-minute bars, {bars['instrument_id'].nunique()} instruments, "
          f"{len(run.clock.sessions)} XNYS sessions {run.clock.sessions[0].date()} .. {run.clock.sessions[-1].date()} "
          f"({config.signal.tod_sessions} warm-up)")
    print(f"pairs: {', '.join(f'{y}~{x}' for y, x in zip(pairs['y'], pairs['x']))}; z: rolling "
          f"{config.signal.lookback_bars} bars / time-of-day vol ({config.signal.tod_sessions} past sessions)")
    print(f"backtest: {s['trade_count']} trades, hit rate {s['hit_rate']:.0%}, total return {s['total_return']:+.2%}, "
          f"Sharpe {s['sharpe']:.2f} (annualised with {run.bars_per_year:,.0f} bars/yr), max drawdown "
          f"{s['max_drawdown']:.2%}, avg holding {s['avg_holding_days']:.1f} bars")
    print(f"exits: {res.trades['exit_reason'].value_counts().to_dict()}; refused entries: "
          f"{res.refusals['reason'].value_counts().to_dict()}")
    sent = sum(t.report.n_sent for t in trades)
    fills = sum(len(t.fills) for t in trades)
    print(f"paper ({ledger!r}, strategy {STRATEGY_ID}): last session {len(trades)} bars, {sent} orders sent, "
          f"{fills} fills; open positions after the close: "
          f"{ {k: v for k, v in ledger.positions(STRATEGY_ID).items() if abs(v) > 1e-9} or 'none (flat)'}")


if __name__ == "__main__":
    main()
