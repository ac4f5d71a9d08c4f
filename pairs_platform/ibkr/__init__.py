"""The Interactive Brokers connector's shared pieces (no Dagster): used by the price source and the broker.

- :mod:`~pairs_platform.ibkr.client`: the client library loader (``ib_async``, else ``ib_insync``)
  and the connection settings from the environment;
- :mod:`~pairs_platform.ibkr.contracts`: instrument <-> IB contract mapping (no orders);
- :mod:`~pairs_platform.ibkr.source`: the ``ib`` price source (historical bars, pacing-limited);
- :mod:`~pairs_platform.ibkr.history`: one historical request and what IB's refusals mean;
- :mod:`~pairs_platform.ibkr.intraday`: intraday bars per session (the intraday-source protocol).

Layering: ``ibkr`` imports ``data`` and the base modules, never ``execution``; the broker
(``execution.ib``) imports ``ibkr``. Importing this package registers the ``ib`` kind in the data
source registry (``data.sources.register_source``) and in the intraday source registry
(``data.sources.intraday_factory.register_intraday_source``), whose placeholders otherwise say to import it.
"""
from pairs_platform.data.sources.intraday_factory import IntradayOptions, register_intraday_source
from pairs_platform.data.sources.registry import register_source
from pairs_platform.ibkr.source import IBSource, PacingLimiter


def intraday_ib_source(options: IntradayOptions) -> IBSource:
    """The ``ib`` intraday source of a run configuration: the platform's instrument table, default pacing.

    ``options`` (seed, folder, timezone) do not apply: IB's bars carry UTC times and the connection
    comes from the environment (``IB_HOST``, ``IB_PORT``, ``IB_CLIENT_ID``).
    """
    return IBSource()


register_source("ib", IBSource)
register_intraday_source("ib", intraday_ib_source)

__all__ = ["IBSource", "PacingLimiter", "intraday_ib_source"]
