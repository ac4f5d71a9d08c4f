"""A loopback fake of the IB TWS/Gateway socket API, for tests only (never shipped)."""
from pairs_platform_tests.ib_gateway.server import FakeGateway, GatewayOrder

__all__ = ["FakeGateway", "GatewayOrder"]
