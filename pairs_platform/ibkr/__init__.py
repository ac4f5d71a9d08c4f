"""The Interactive Brokers connector's shared pieces (no Dagster): used by the price source and the broker.

- :mod:`~pairs_platform.ibkr.client`: the client library loader (``ib_async``, else ``ib_insync``)
  and the connection settings from the environment;
- :mod:`~pairs_platform.ibkr.contracts`: instrument <-> IB contract mapping (no orders);
- :mod:`~pairs_platform.ibkr.source`: the ``ib`` price source (historical bars, pacing-limited).

Layering: ``ibkr`` imports ``data`` and the base modules, never ``execution``; the broker
(``execution.ib``) imports ``ibkr``. Importing this package registers the ``ib`` kind in the data
source registry (``data.sources.register_source``), whose placeholder otherwise says to import it.
"""
from pairs_platform.data.sources.registry import register_source
from pairs_platform.ibkr.source import IBSource, PacingLimiter

register_source("ib", IBSource)

__all__ = ["IBSource", "PacingLimiter"]
