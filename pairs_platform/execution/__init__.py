"""Execution: broker protocol, paper broker, IB adapter, order manager and SQL ledger.

Typical use::

    ledger = Ledger("sqlite:///state/ledger.db")
    broker = PaperBroker(ledger)
    report = OrderManager(broker, ledger).rebalance("pairs-v1", as_of, targets)
    broker.on_prices(next_day, closes)          # fills at the next price
    ledger.orders_frame(); ledger.fills_frame(); ledger.positions_frame("pairs-v1")

``IBBroker`` lives in :mod:`pairs_platform.execution.ib` (optional ``ib`` extra).
"""
from pairs_platform.execution.broker import (
    Broker, Fill, OpenOrder, Order, OrderAck, OrderStatus, OrderType, Side,
    make_client_order_id,
)
from pairs_platform.execution.errors import (
    ExecutionInputError, LedgerSchemaError, LiveTradingDisabled, ensure_live_enabled,
)
from pairs_platform.execution.ledger import KillSwitchState, Ledger, OrderRecord
from pairs_platform.execution.order_manager import (
    OrderManager, PreTradeCheck, RebalanceReport, SkippedOrder,
)
from pairs_platform.execution.paper import PaperBroker

__all__ = [
    "Broker", "ExecutionInputError", "Fill", "KillSwitchState", "Ledger", "LedgerSchemaError",
    "LiveTradingDisabled", "OpenOrder", "Order", "OrderAck", "OrderManager", "OrderRecord",
    "OrderStatus", "OrderType", "PaperBroker", "PreTradeCheck", "RebalanceReport", "Side",
    "SkippedOrder", "ensure_live_enabled", "make_client_order_id",
]
