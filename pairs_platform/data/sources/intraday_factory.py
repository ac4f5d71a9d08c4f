"""The intraday source a configuration names: 'synthetic' (seeded), 'files' (a folder and its timezone) or 'ib'.

Kinds (:data:`INTRADAY_SOURCE_FACTORIES`, each called with :class:`IntradayOptions`):

=============  ============================================================================
kind           source
=============  ============================================================================
``synthetic``  ``SyntheticIntradaySource(seed)``
``files``      ``IntradayFileSource(path, timezone)`` (both required)
``ib``         IB historical bars (``pairs_platform.ibkr.IBSource``, pacing-limited, connection
               from ``IB_HOST``/``IB_PORT``/``IB_CLIENT_ID``); registered by ``import
               pairs_platform.ibkr`` (:func:`register_intraday_source`), a placeholder until then
=============  ============================================================================
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from pairs_platform.data.sources.intraday import IntradaySource
from pairs_platform.data.sources.intraday_files import IntradayFileSource
from pairs_platform.data.sources.registry import install_factory
from pairs_platform.data.sources.synthetic_intraday import SyntheticIntradaySource


class IntradayOptions(NamedTuple):
    """The run configuration's source options (each kind reads the ones it needs)."""

    seed: int = 7
    path: str = ""
    timezone: str = ""


def _synthetic(options: IntradayOptions) -> IntradaySource:
    return SyntheticIntradaySource(options.seed)


def _files(options: IntradayOptions) -> IntradaySource:
    if not options.path or not options.timezone:
        raise ValueError("intraday source 'files' needs a folder path and its timezone (e.g. 'America/New_York')")
    return IntradayFileSource(options.path, options.timezone)


def _ib_not_registered(options: IntradayOptions) -> IntradaySource:
    """Placeholder of the ``ib`` kind until :mod:`pairs_platform.ibkr` registers it (``ibkr`` sits above ``data``)."""
    raise ValueError("the 'ib' intraday source is not registered: import pairs_platform.ibkr to enable it "
                     "(the Dagster intraday assets import it)")


INTRADAY_SOURCE_FACTORIES: dict[str, Callable[[IntradayOptions], IntradaySource]] = {
    "synthetic": _synthetic, "files": _files, "ib": _ib_not_registered,
}
INTRADAY_SOURCE_KINDS: tuple[str, ...] = tuple(INTRADAY_SOURCE_FACTORIES)
_PLACEHOLDERS = {"ib": _ib_not_registered}


def register_intraday_source(kind: str, factory: Callable[[IntradayOptions], IntradaySource]) -> None:
    """Install the factory of an intraday kind served by a higher layer (``ib``: :mod:`pairs_platform.ibkr`).

    Parameters
    ----------
    kind : str
        A placeholder kind of :data:`INTRADAY_SOURCE_KINDS` (registering the same factory again is a no-op).
    factory : callable
        Called with :class:`IntradayOptions`, returns the :class:`IntradaySource`.

    Raises
    ------
    ValueError
        For a kind that is not a placeholder, or one already registered with another factory.
    """
    install_factory(INTRADAY_SOURCE_FACTORIES, _PLACEHOLDERS, kind, factory, "register_intraday_source",
                    "INTRADAY_SOURCE_FACTORIES")


def make_intraday_source(kind: str, seed: int = 7, path: str = "", timezone: str = "") -> IntradaySource:
    """The :class:`IntradaySource` of ``kind``; 'files' needs ``path`` and an explicit IANA ``timezone``."""
    factory = INTRADAY_SOURCE_FACTORIES.get(kind)
    if factory is None:
        raise ValueError(f"unknown intraday source {kind!r}; use one of {INTRADAY_SOURCE_KINDS}")
    return factory(IntradayOptions(seed, path, timezone))
