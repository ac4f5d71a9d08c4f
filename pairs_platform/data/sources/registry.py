"""The one registry that builds price sources: ``kind -> factory``, and the per-class choice of them.

Kinds (``SOURCE_FACTORIES``):

=============  ============================================================================
kind           factory and options
=============  ============================================================================
``bundled``    ``BundledSource()``: real closes of 20 S&P 500 stocks (no options)
``synthetic``  ``SyntheticSource(seed=7, start='1990-01-02')``: all four asset classes
``files``      ``FileSource(path=...)``: your CSV/Parquet folder (with its instruments.csv)
``combined``   ``CombinedSource(parts=[...])``, each part a kind name or ``{'kind': ..., **options}``;
               an instrument is served by the first part that has it (default parts
               ``['bundled', 'synthetic']``)
``ib``         historical bars from TWS / IB Gateway (``ibkr.source.IBSource``, pacing-limited);
               registered by ``import pairs_platform.ibkr`` (:func:`register_source`)
=============  ============================================================================

A new source is one entry in ``SOURCE_FACTORIES``; a kind whose code lives above ``data`` (``ib``)
has a placeholder here that names the import enabling it, and its package registers the factory. :class:`SourceSelection` says which kind
serves each asset class (the Dagster ``price_sources`` resource is a thin copy of it) and builds
the instrument table from those sources.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pandas as pd

from pairs_platform.data.instruments import validate_instruments
from pairs_platform.data.sources.base import PriceSource
from pairs_platform.data.sources.bundled import BundledSource
from pairs_platform.data.sources.combined import CombinedSource
from pairs_platform.data.sources.files import FileSource
from pairs_platform.data.sources.synthetic import SyntheticSource
from pairs_platform.identifiers import ASSET_CLASSES
from pairs_platform.settings import setting


def _combined(parts: list | None = None, **options: Any) -> CombinedSource:
    built = [make_source(p) if isinstance(p, str) else make_source(**dict(p))
             for p in (parts or ["bundled", "synthetic"])]
    return CombinedSource(built, **options)


IB_SOURCE_HINT = "import pairs_platform.ibkr to enable the ib source"


def _ib_not_registered(**options: Any) -> PriceSource:
    """Placeholder of the ``ib`` kind until :mod:`pairs_platform.ibkr` registers the real factory.

    The IB connector sits above ``data`` (it uses the instrument table and futures rolls), so
    ``data`` cannot import it; ``pairs_platform.ibkr`` calls :func:`register_source` on import.
    """
    raise ValueError(f"the 'ib' price source is not registered: {IB_SOURCE_HINT} "
                     "(the Dagster resources and the execution package import it)")


SOURCE_FACTORIES: dict[str, Callable[..., PriceSource]] = {
    "bundled": BundledSource, "synthetic": SyntheticSource, "files": FileSource,
    "combined": _combined, "ib": _ib_not_registered,
}
"""Price-source kind -> factory called with the kind's options (see the module docstring)."""

SOURCE_KINDS: tuple[str, ...] = tuple(SOURCE_FACTORIES)
_PLACEHOLDERS = {"ib": _ib_not_registered}


def register_source(kind: str, factory: Callable[..., PriceSource]) -> None:
    """Install the factory of a kind served by a higher layer (``ib``: :mod:`pairs_platform.ibkr`).

    Parameters
    ----------
    kind : str
        A kind of ``SOURCE_KINDS`` that is still a placeholder (registering the same factory
        again is a no-op).
    factory : callable
        Called with the kind's options, returns the :class:`PriceSource`.

    Raises
    ------
    ValueError
        For a kind that is not a placeholder of ``SOURCE_KINDS``, or one already registered with
        another factory.
    """
    install_factory(SOURCE_FACTORIES, _PLACEHOLDERS, kind, factory, "register_source", "SOURCE_FACTORIES")


def install_factory(table: dict, placeholders: dict, kind: str, factory: Callable, caller: str,
                    table_name: str) -> None:
    """Replace the placeholder of ``kind`` in a factory ``table`` (the daily and intraday registries).

    Raises
    ------
    ValueError
        Naming ``caller``: for a kind without a placeholder, or one already registered with another factory.
    """
    if kind not in placeholders:
        raise ValueError(f"{caller}({kind!r}): only the placeholder kinds {sorted(placeholders)} "
                         f"are registered from outside data; add a built-in kind to {table_name}")
    current = table[kind]
    if current is not placeholders[kind] and current is not factory:
        raise ValueError(f"{caller}({kind!r}): already registered with {current!r}")
    table[kind] = factory


def make_source(kind: str, **options: Any) -> PriceSource:
    """Build a price source from configuration.

    Parameters
    ----------
    kind : str
        One of ``SOURCE_KINDS`` (case-insensitive).
    **options
        Passed to the kind's factory.

    Returns
    -------
    PriceSource
        The source.

    Raises
    ------
    ValueError
        For an unknown kind, naming the known ones.
    """
    factory = SOURCE_FACTORIES.get(str(kind).lower())
    if factory is None:
        raise ValueError(f"unknown price source kind {kind!r}; choose one of {SOURCE_KINDS}")
    return factory(**options)


@dataclass(frozen=True)
class SourceSelection:
    """Which price-source kind serves each asset class, and the options of those kinds.

    Parameters
    ----------
    equity, future, fixed_income, crypto : str
        Source kind per asset class.
    synthetic_seed : int
        Seed of the ``synthetic`` kind.
    files_dir : str
        Folder of the ``files`` kind (required when a class uses it).
    """

    equity: str = setting("bundled", "Source kind of equities (a key of SOURCE_FACTORIES).")
    future: str = setting("synthetic", "Source kind of futures.")
    fixed_income: str = setting("synthetic", "Source kind of fixed income.")
    crypto: str = setting("synthetic", "Source kind of crypto.")
    synthetic_seed: int = setting(7, "Seed of the synthetic source.")
    files_dir: str = setting("", "CSV/Parquet folder of the files source (with its instruments.csv).")

    def kind_for(self, asset_class: str) -> str:
        """The source kind configured for ``asset_class``."""
        if asset_class not in ASSET_CLASSES:
            raise ValueError(f"unknown asset class {asset_class!r}; use one of {ASSET_CLASSES}")
        return getattr(self, asset_class)

    def source_for(self, asset_class: str) -> PriceSource:
        """Build the source of ``asset_class`` with its kind's options."""
        kind = self.kind_for(asset_class)
        if kind == "files" and not self.files_dir:
            raise ValueError(f"asset class {asset_class!r} uses the files source but files_dir is "
                             "empty; set the price_sources files_dir to your CSV/Parquet folder")
        options = {"synthetic": {"seed": self.synthetic_seed}, "files": {"path": self.files_dir}}
        return make_source(kind, **options.get(kind, {}))

    def instrument_table(self) -> pd.DataFrame:
        """Every instrument the configured sources serve, each from its class's own source.

        Returns
        -------
        pd.DataFrame
            The validated instrument table (packaged metadata for bundled and synthetic data, a
            files folder's own instruments.csv; a file without metadata is an error naming it).
        """
        parts = []
        for asset_class in ASSET_CLASSES:
            table = self.source_for(asset_class).instruments()
            parts.append(table[table["asset_class"] == asset_class])
        return validate_instruments(pd.concat(parts).sort_index())


def instrument_ids(instruments: pd.DataFrame, asset_class: str) -> list[str]:
    """The instruments of one asset class in the instrument table."""
    return list(instruments.index[instruments["asset_class"] == asset_class])
