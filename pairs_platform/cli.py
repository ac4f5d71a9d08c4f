"""``pairs-platform``: operator commands on the trading ledger.

    pairs-platform kill --reason "broker outage" [--who alice] [--strategy pairs_v1]
    pairs-platform resume --reason "outage over" [--who alice] [--strategy pairs_v1]
    pairs-platform status

The ledger is ``--ledger-url``, else ``$PAIRS_LEDGER_URL``, else ``$PAIRS_DATA_DIR/ledger.db``
(:func:`pairs_platform.execution.ledger.default_ledger_url`). ``kill`` records the state HALTED
(nothing goes out: every order path checks it inside the strategy lock and again before sending),
``resume`` records ACTIVE; both with who, when and why. Without ``--strategy`` they apply to every
strategy.
"""
from __future__ import annotations

import argparse
import getpass
import os
import sys

from pairs_platform.execution.ledger import Ledger, default_ledger_url
from pairs_platform.execution.ledger_state import TradingState


def _who() -> str:
    try:
        return os.environ.get("USER") or getpass.getuser()
    except (KeyError, OSError):
        return ""


def build_parser() -> argparse.ArgumentParser:
    """The ``pairs-platform`` argument parser."""
    parser = argparse.ArgumentParser(prog="pairs-platform", description="Operator commands on the trading ledger.")
    parser.add_argument("--ledger-url", default=None,
                        help="ledger database URL (default: $PAIRS_LEDGER_URL or $PAIRS_DATA_DIR/ledger.db)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (("kill", "halt all order sending (state HALTED)"),
                       ("resume", "allow order sending again (state ACTIVE)")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--reason", required=True, help="why (recorded in the ledger)")
        sub.add_argument("--who", default=_who(), help="who (default: $USER)")
        sub.add_argument("--strategy", default=None, help="only this strategy id (default: all strategies)")
    status = commands.add_parser("status", help="show the trading state and its recent changes")
    status.add_argument("--last", type=int, default=10, help="how many recent changes to show")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    args = build_parser().parse_args(argv)
    url = args.ledger_url or default_ledger_url()
    with Ledger(url) as ledger:
        if args.command == "status":
            print(f"ledger: {ledger.url}")
            print(f"global: {ledger.trading_state().describe()}")
            history = ledger.trading_state_history()
            for scope in sorted(set(history["scope"]) - {"*"}):
                print(f"{scope}: {ledger.trading_state(scope).describe()}")
            if not history.empty:
                print("recent changes:")
                print(history.tail(args.last).to_string(index=False))
            return 0
        state = TradingState.HALTED if args.command == "kill" else TradingState.ACTIVE
        try:
            record = ledger.set_trading_state(state, args.who, args.reason, args.strategy)
        except ValueError as exc:
            print(f"pairs-platform {args.command}: {exc}", file=sys.stderr)
            return 2
        print(f"{ledger.url}: {record.describe()}")
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
