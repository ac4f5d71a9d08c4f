"""Execution: broker protocol, paper broker, IB adapter, order manager and SQL ledger.

Typical use::

    ledger = Ledger(default_ledger_url())
    broker = make_broker("paper", ledger, instruments)   # pairs_platform.execution.factory
    risk = RiskEngine(RiskEngineConfig(capital=1e6), instruments)   # pairs_platform.execution.risk_engine
    report = OrderManager(broker, ledger, risk).rebalance("pairs-v1", as_of, targets, closes)
    broker.on_prices(next_day, closes)          # fills at the next price
    ledger.orders_frame(); ledger.fills_frame(); ledger.positions_frame("pairs-v1")

``IBBroker`` lives in :mod:`pairs_platform.execution.ib` (optional ``ib`` extra).
"""
from pairs_platform.execution.broker import (
    Broker, Fill, OpenOrder, Order, OrderAck, OrderStatus, OrderType, Side,
    make_client_order_id,
)
from pairs_platform.execution.errors import (
    ExecutionInputError, LedgerSchemaError, LiveTradingDisabled,
)
from pairs_platform.execution.ledger import Ledger, OrderRecord, default_ledger_url
from pairs_platform.execution.ledger_state import TradingState, TradingStateRecord
from pairs_platform.execution.live_guard import ensure_account_allowed, ensure_live_enabled
from pairs_platform.execution.order_manager import (
    OrderManager, RebalanceReport, SkippedOrder,
)
from pairs_platform.execution.paper import PaperBroker

__all__ = [
    "Broker", "ExecutionInputError", "Fill", "Ledger", "LedgerSchemaError",
    "LiveTradingDisabled", "OpenOrder", "Order", "OrderAck", "OrderManager", "OrderRecord",
    "OrderStatus", "OrderType", "PaperBroker", "RebalanceReport", "Side",
    "SkippedOrder", "TradingState", "TradingStateRecord", "default_ledger_url",
    "ensure_account_allowed", "ensure_live_enabled", "make_client_order_id",
]
