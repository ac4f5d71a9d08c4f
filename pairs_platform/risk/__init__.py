"""Risk management shared by the backtest and live trading: sizing, limits, pre-trade checks.

Public API::

    from pairs_platform.risk import RiskLimits, pre_trade_check, PairEntry, LiveBook, Account, size_pair, REFUSAL_NAMES
"""
from pairs_platform.risk.checks import Account, LiveBook, PairEntry, drawdown, pre_trade_check
from pairs_platform.risk.limits import REFUSAL_NAMES, RiskLimits
from pairs_platform.risk.sizing import round_to_lot, size_pair

__all__ = ["REFUSAL_NAMES", "Account", "LiveBook", "PairEntry", "RiskLimits", "drawdown", "pre_trade_check",
           "round_to_lot", "size_pair"]
