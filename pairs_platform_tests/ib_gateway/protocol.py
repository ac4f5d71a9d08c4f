"""TWS socket framing and the server -> client messages the fake gateway sends.

Framing: after the client's ``b"API\\0"`` + a length-prefixed ``"v<min>..<max>"`` handshake, every
message is a 4-byte big-endian length followed by NUL-terminated fields. Field orders follow
ib_async 2.1's ``decoder.py`` for :data:`SERVER_VERSION` (176; no protobuf, no fields of 177+).
"""
from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

SERVER_VERSION = 176
CLIENT_VERSION_RANGE = (157, 178)

# incoming (client -> gateway) message ids, from ib_async client.py
PLACE_ORDER, CANCEL_ORDER, REQ_OPEN_ORDERS, REQ_ACCOUNT_UPDATES, REQ_EXECUTIONS = 3, 4, 5, 6, 7
REQ_IDS, REQ_ALL_OPEN_ORDERS, REQ_GLOBAL_CANCEL, REQ_MARKET_DATA_TYPE = 8, 16, 58, 59
REQ_POSITIONS, START_API, REQ_COMPLETED_ORDERS, REQ_CURRENT_TIME = 61, 71, 99, 49
REQ_ACCOUNT_UPDATES_MULTI, REQ_HISTORICAL_DATA = 76, 20

# openOrder (id 5) has ~137 fields at server version 176; the fake fills the ones ib_async needs
# and "0" elsewhere (a layout measured against ib_async's decoder, see test_ib_gateway.py).
OPEN_ORDER_LENGTH = 138
OPEN_ORDER_STATUS_INDEX = 96


def frame(fields: list[object]) -> bytes:
    """One length-prefixed message of NUL-terminated fields."""
    body = "".join(f"{'' if f is None else f}\0" for f in fields).encode()
    return struct.pack(">I", len(body)) + body


def read_exact(sock: socket.socket, n: int) -> bytes:
    """Exactly ``n`` bytes, or ConnectionError if the peer closed."""
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("peer closed")
        data += chunk
    return data


def read_message(sock: socket.socket) -> list[str]:
    """One framed message as its list of fields."""
    (size,) = struct.unpack(">I", read_exact(sock, 4))
    fields = read_exact(sock, size).decode().split("\0")
    return fields[:-1] if fields and fields[-1] == "" else fields


@dataclass(frozen=True)
class WireContract:
    """The contract fields the fake keeps (as the client sent them)."""

    symbol: str
    sec_type: str
    last_trade: str = ""
    multiplier: str = ""
    exchange: str = "SMART"
    currency: str = "USD"
    local_symbol: str = ""
    con_id: int = 0

    def fields(self) -> list[object]:
        """conId .. tradingClass as execDetails / position / openOrder carry them."""
        return [self.con_id, self.symbol, self.sec_type, self.last_trade, 0.0, "",
                self.multiplier, self.exchange, self.currency, self.local_symbol, ""]


def order_status(order_id: int, status: str, filled: float, remaining: float, avg: float,
                 perm_id: int, client_id: int, why_held: str = "") -> list[object]:
    """orderStatus (id 3)."""
    return [3, order_id, status, filled, remaining, avg, perm_id, 0, avg, client_id, why_held, 0.0]


def error(req_id: int, code: int, text: str) -> list[object]:
    """errorMsg (id 4) with the advancedOrderRejectJson field of server version >= 166."""
    return [4, 2, req_id, code, text, ""]


def exec_details(req_id: int, e: "object") -> list[object]:
    """execDetails (id 11) for a GatewayExecution ``e``."""
    return [11, req_id, e.order_id, *e.contract.fields(), e.exec_id, e.time, e.account,
            e.contract.exchange,
            "BOT" if e.action == "BUY" else "SLD", e.shares, e.price, e.perm_id, e.client_id, 0,
            e.cum_qty, e.avg_price, e.order_ref, "", "", "", 0]


def commission_report(e: "object") -> list[object]:
    """commissionReport (id 59)."""
    return [59, 1, e.exec_id, e.commission, "USD", "", "", ""]


def open_order(o: "object", status: str) -> list[object]:
    """openOrder (id 5) for a GatewayOrder ``o``; unused fields are "0"."""
    f: list[object] = [5] + ["0"] * (OPEN_ORDER_LENGTH - 1)
    c = o.contract
    f[1:13] = [o.order_id, c.con_id, c.symbol, c.sec_type, c.last_trade, 0.0, "", c.multiplier,
               c.exchange, c.currency, c.local_symbol, ""]
    f[13:26] = [o.action, o.quantity, o.order_type, o.limit_price or 0.0, 0.0, o.tif, "",
                o.account, "O", 0, o.order_ref, o.client_id, o.perm_id]
    f[OPEN_ORDER_STATUS_INDEX] = status
    return f


def position(account: str, contract: WireContract, quantity: float, avg_cost: float) -> list[object]:
    """position (id 61)."""
    return [61, 3, account, *contract.fields(), quantity, avg_cost]


def historical_data(req_id: int, bars: list[tuple]) -> list[object]:
    """historicalData (id 17): bars of (date 'YYYYMMDD', open, high, low, close, volume)."""
    fields: list[object] = [17, req_id, bars[0][0] if bars else "", bars[-1][0] if bars else "", len(bars)]
    for date, o, h, low, c, v in bars:
        fields += [date, o, h, low, c, v, c, 1]
    return fields
