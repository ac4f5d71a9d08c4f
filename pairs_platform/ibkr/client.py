"""The IB client library and the connection settings, shared by the price source and the broker.

- :func:`import_ib_library`: ``ib_async`` (the maintained fork) if installed, else ``ib_insync``,
  else a clear ImportError; both optional (``pip install -e .[ib]``) and imported lazily;
  ``PAIRS_IB_LIBRARY`` forces one of them.
- :func:`ib_settings_from_env`: host, port and client id from the environment only (``IB_HOST``,
  ``IB_PORT``, ``IB_CLIENT_ID``), so no run configuration can point a connection elsewhere.
  Whether live orders may go out is the live guard's (``execution.live_guard``), not this module's.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType
from typing import Mapping


IB_LIBRARIES = ("ib_async", "ib_insync")
IB_LIBRARY_ENV = "PAIRS_IB_LIBRARY"


def import_ib_library(env: Mapping[str, str] | None = None) -> ModuleType:
    """The IB client library: ``ib_async`` if installed, else ``ib_insync``, else a clear ImportError.

    ``PAIRS_IB_LIBRARY`` (``ib_async`` or ``ib_insync``) forces one of them: the fallback test
    (``make test-ib-legacy``) runs the adapter on ib_insync this way. ``env`` defaults to
    ``os.environ``.
    """
    forced = (os.environ if env is None else env).get(IB_LIBRARY_ENV, "").strip()
    if forced and forced not in IB_LIBRARIES:
        raise ValueError(f"{IB_LIBRARY_ENV}={forced!r} is not one of {IB_LIBRARIES}; fix the environment")
    for name in (forced,) if forced else IB_LIBRARIES:
        try:
            return __import__(name)
        except ImportError:
            continue
    wanted = f"{forced} ({IB_LIBRARY_ENV}={forced})" if forced else "the ib_async library"
    raise ImportError(
        f"the IB connector needs {wanted}: pip install -e .[ib]  "
        "(or .[ib-legacy] for ib_insync; install one of them, never both)")


@dataclass(frozen=True)
class IBSettings:
    """IB connection settings, from the environment only (``IB_HOST``, ``IB_PORT``, ``IB_CLIENT_ID``)."""

    host: str = "127.0.0.1"
    port: int = 7497
    client_id: int = 17


def ib_settings_from_env(env: Mapping[str, str] | None = None) -> IBSettings:
    """:class:`IBSettings` from ``IB_HOST``, ``IB_PORT``, ``IB_CLIENT_ID`` (defaults where unset).

    Parameters
    ----------
    env : Mapping[str, str], optional
        The environment; ``os.environ`` when omitted (tests pass a dict).

    Returns
    -------
    IBSettings
        The settings.

    Raises
    ------
    ValueError
        For a port or client id that is not an integer, naming the variable.
    """
    environ, default = (os.environ if env is None else env), IBSettings()
    values = {}
    for field, name, cast in (("host", "IB_HOST", str), ("port", "IB_PORT", int),
                              ("client_id", "IB_CLIENT_ID", int)):
        raw = environ.get(name, "").strip()
        try:
            values[field] = cast(raw) if raw else getattr(default, field)
        except ValueError as exc:
            raise ValueError(f"{name}={raw!r} is not a valid {cast.__name__}; fix the environment") from exc
    return IBSettings(**values)
