"""``FakeGateway``: a threaded loopback server speaking the TWS socket protocol (server v176).

It keeps orders, executions and positions across client connections (a restart of our process
reconnects to the same gateway state), answers the requests ib_async sends at connect and those the
adapter uses, and runs a *script* per placed order: a list of steps such as ``("status",
"Submitted")``, ``("fill", 40, 10.5)``, ``("error", 10349, "...")`` or ``("drop",)`` (close the
client's socket). ``FakeGateway.default_script`` acknowledges and fills the whole order.
"""
from __future__ import annotations

import datetime as dt
import itertools
import socket
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Callable

from pairs_platform_tests.ib_gateway import protocol as p
from pairs_platform_tests.ib_gateway.history import HistoryDesk

Step = tuple


@dataclass
class GatewayOrder:
    """An order the gateway holds."""

    order_id: int
    perm_id: int
    client_id: int
    contract: p.WireContract
    action: str
    quantity: float
    order_type: str
    limit_price: float | None
    tif: str
    account: str
    order_ref: str
    status: str = "PreSubmitted"
    filled: float = 0.0
    cost: float = 0.0

    @property
    def remaining(self) -> float:
        """Quantity not filled."""
        return self.quantity - self.filled

    @property
    def avg_price(self) -> float:
        """Average fill price (0 before any fill)."""
        return self.cost / self.filled if self.filled else 0.0


@dataclass
class GatewayExecution:
    """One execution (with its commission)."""

    exec_id: str
    order_id: int
    perm_id: int
    client_id: int
    contract: p.WireContract
    action: str
    shares: float
    price: float
    cum_qty: float
    avg_price: float
    order_ref: str
    account: str
    commission: float
    time: str = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d %H:%M:%S UTC"))


class _Client:
    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.lock, self.client_id = sock, threading.Lock(), -1

    def send(self, fields: list[object]) -> None:
        """Sends one message; a client whose connection already dropped is not told (as with the
        real gateway): its reader thread removes it from the gateway's list."""
        with self.lock:
            try:
                self.sock.sendall(p.frame(fields))
            except OSError:  # broken pipe, reset, or the socket already closed by its reader thread
                pass


class FakeGateway:
    """Start with ``with FakeGateway() as gw:``; ``gw.port`` is a free loopback port."""

    def __init__(self, account: str = "DU1234567", commission_per_share: float = 0.01) -> None:
        self.account, self.commission_per_share = account, commission_per_share
        self.orders: dict[int, GatewayOrder] = {}
        self.executions: list[GatewayExecution] = []
        self.positions: dict[tuple[str, str, str], tuple[p.WireContract, float, float]] = {}
        self.prices: dict[str, float] = {}
        self.scripts: dict[str, list[Step]] = {}   # by symbol; else default_script
        self.received: list[list[str]] = []        # every client message (for assertions)
        self.market_data_type = 1
        self.bars: dict[str, list[tuple]] = {}     # symbol -> [(YYYYMMDD, o, h, l, c, v)]
        self.needs_permission: set[str] = set()    # symbols answered with 162 unless delayed
        self.history = HistoryDesk(self)           # reqHistoricalData: intraday bars, pacing (history.py)
        self.errors: list[str] = []                # exceptions inside the fake (a test bug)
        self._ids = itertools.count(1)
        self._exec_seq = itertools.count(1)
        self._clients: list[_Client] = []
        self._lock = threading.RLock()
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> "FakeGateway":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop listening and drop every client."""
        self.drop_clients()
        self._server.close()

    def drop_clients(self) -> None:
        """Close every client socket (a gateway restart / network cut)."""
        for client in list(self._clients):
            _close(client.sock)
        self._clients.clear()

    def clients_connected(self, settle: float = 2.0) -> int:
        """Connected clients, after waiting up to ``settle`` s for closed sockets to be noticed."""
        deadline = time.monotonic() + settle
        while self._clients and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self._clients)

    def send_all(self, fields: list[object]) -> None:
        """Send one message to every connected client (e.g. error 1100)."""
        for client in list(self._clients):
            client.send(fields)

    def set_position(self, symbol: str, quantity: float, sec_type: str = "STK",
                     avg_cost: float = 100.0, **contract: object) -> None:
        """Plant a position at the gateway (e.g. a manual trade our ledger never saw)."""
        wire = p.WireContract(symbol, sec_type, **contract)
        self.positions[_key(wire)] = (wire, quantity, avg_cost)

    def messages(self, msg_id: int) -> list[list[str]]:
        """Client messages with this id (e.g. ``gw.messages(3)`` = every placeOrder)."""
        return [m for m in self.received if m and m[0] == str(msg_id)]

    def default_script(self, order: GatewayOrder) -> list[Step]:
        """Acknowledge, then fill the whole order at ``prices[symbol]`` (100 if unset)."""
        return [("status", "Submitted"), ("fill", order.quantity, self.prices.get(order.contract.symbol, 100.0))]

    # ---- connection handling -------------------------------------------------------
    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(_Client(sock),), daemon=True).start()

    def _serve(self, client: _Client) -> None:
        try:
            if p.read_exact(client.sock, 4) != b"API\0":
                raise ConnectionError("bad handshake")
            p.read_message(client.sock)  # "v157..178"
            client.sock.sendall(p.frame([p.SERVER_VERSION, dt.datetime.now().strftime("%Y%m%d %H:%M:%S UTC")]))
            self._clients.append(client)
            while True:
                fields = p.read_message(client.sock)
                with self._lock:
                    self.received.append(fields)
                    self._handle(client, fields)
        except (ConnectionError, OSError):
            pass
        except Exception as exc:  # a bug in the fake: keep it visible in the test output
            self.errors.append(repr(exc))
            traceback.print_exc()
        finally:
            _close(client.sock)
            if client in self._clients:
                self._clients.remove(client)

    def _handle(self, client: _Client, f: list[str]) -> None:
        msg = int(f[0])
        handler: dict[int, Callable[[_Client, list[str]], None]] = {
            p.START_API: self._start_api, p.PLACE_ORDER: self._place, p.CANCEL_ORDER: self._cancel,
            p.REQ_OPEN_ORDERS: self._open_orders, p.REQ_ALL_OPEN_ORDERS: self._open_orders,
            p.REQ_POSITIONS: self._positions, p.REQ_EXECUTIONS: self._executions,
            p.REQ_GLOBAL_CANCEL: self._global_cancel, p.REQ_IDS: self._next_id,
        }
        if msg in handler:
            handler[msg](client, f)
        elif msg == p.REQ_ACCOUNT_UPDATES:
            client.send([54, 1, self.account])
        elif msg == p.REQ_ACCOUNT_UPDATES_MULTI:
            client.send([74, 1, int(f[2])])
        elif msg == p.REQ_COMPLETED_ORDERS:
            client.send([102])
        elif msg == p.REQ_HISTORICAL_DATA:
            self._history(client, f)
        elif msg == p.REQ_MARKET_DATA_TYPE:
            self.market_data_type = int(f[2])

    def _start_api(self, client: _Client, f: list[str]) -> None:
        client.client_id = int(f[2])
        self._next_id(client, f)
        client.send([15, 1, self.account])

    def _next_id(self, client: _Client, _f: list[str]) -> None:
        known = max(self.orders, default=0)
        client.send([9, 1, known + 1])

    def _history(self, client: _Client, f: list[str]) -> None:
        self.history.answer(client, f)

    def _open_orders(self, client: _Client, _f: list[str]) -> None:
        for order in self.orders.values():
            if order.status in ("PreSubmitted", "Submitted"):
                client.send(p.open_order(order, order.status))
        client.send([53, 1])

    def _positions(self, client: _Client, _f: list[str]) -> None:
        for wire, qty, avg in self.positions.values():
            client.send(p.position(self.account, wire, qty, avg))
        client.send([62, 1])

    def _executions(self, client: _Client, f: list[str]) -> None:
        req_id = int(f[2])
        for e in self.executions:
            client.send(p.exec_details(req_id, e))
            client.send(p.commission_report(e))
        client.send([55, 1, req_id])

    # ---- orders --------------------------------------------------------------------
    def _place(self, client: _Client, f: list[str]) -> None:
        wire = p.WireContract(symbol=f[3], sec_type=f[4], last_trade=f[5], multiplier=f[8],
                              exchange=f[9], currency=f[11], local_symbol=f[12])
        order = GatewayOrder(
            order_id=int(f[1]), perm_id=1000 + next(self._ids), client_id=client.client_id,
            contract=wire, action=f[16], quantity=float(f[17]), order_type=f[18],
            limit_price=float(f[19]) if f[19] else None, tif=f[21], account=f[23] or self.account,
            order_ref=f[26])
        self.orders[order.order_id] = order
        script = self.scripts.get(wire.symbol) or self.default_script(order)
        for step in script:
            if not self._step(client, order, step):
                return

    def _step(self, client: _Client, order: GatewayOrder, step: Step) -> bool:
        kind = step[0]
        if kind == "drop":
            _close(client.sock)
            return False
        if kind == "status":
            order.status = step[1]
            client.send(p.open_order(order, order.status))
            self._send_status(client, order)
        elif kind == "error":
            client.send(p.error(order.order_id, step[1], step[2]))
            if step[1] in (201, 203):
                order.status = "Inactive"
        elif kind == "fill":
            self.fill(order, float(step[1]), float(step[2]), client)
        return True

    def _send_status(self, client: _Client, order: GatewayOrder, why_held: str = "") -> None:
        client.send(p.order_status(order.order_id, order.status, order.filled, order.remaining,
                                   order.avg_price, order.perm_id, order.client_id, why_held))

    def fill(self, order: GatewayOrder, qty: float, price: float, client: _Client | None = None) -> GatewayExecution:
        """Execute ``qty`` of ``order`` at ``price``; tell the client that placed it."""
        order.filled += qty
        order.cost += qty * price
        if order.remaining <= 1e-9:
            order.status = "Filled"
        e = GatewayExecution(
            f"0000e{next(self._exec_seq):04d}.01.01", order.order_id, order.perm_id, order.client_id,
            order.contract, order.action, qty, price, order.filled, order.avg_price,
            order.order_ref, order.account, round(qty * self.commission_per_share, 6))
        self.executions.append(e)
        sign = 1 if order.action == "BUY" else -1
        wire, held, avg = self.positions.get(_key(order.contract), (order.contract, 0.0, 0.0))
        self.positions[_key(order.contract)] = (wire, held + sign * qty, price)
        for other in list(self._clients):
            other.send(p.position(self.account, wire, held + sign * qty, price))
        for target in [client] if client else [c for c in self._clients if c.client_id == order.client_id]:
            target.send(p.exec_details(-1, e))
            target.send(p.commission_report(e))
            self._send_status(target, order)
        return e

    def _cancel(self, client: _Client, f: list[str]) -> None:
        order = self.orders.get(int(f[2]))
        if order is None or order.status not in ("PreSubmitted", "Submitted"):
            client.send(p.error(int(f[2]), 10148, "OrderId that needs to be cancelled cannot be cancelled"))
            return
        self._cancel_one(client, order)

    def _cancel_one(self, client: _Client, order: GatewayOrder) -> None:
        order.status = "Cancelled"
        client.send(p.error(order.order_id, 202, "Order Canceled - reason:"))
        self._send_status(client, order)

    def _global_cancel(self, client: _Client, _f: list[str]) -> None:
        for order in self.orders.values():
            if order.status in ("PreSubmitted", "Submitted"):
                self._cancel_one(client, order)


def _key(wire: p.WireContract) -> tuple[str, str, str]:
    return wire.symbol, wire.sec_type, wire.last_trade


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
