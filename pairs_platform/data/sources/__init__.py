"""Price sources behind one protocol, chosen by configuration with ``make_source``."""
from __future__ import annotations

from typing import Any

from pairs_platform.data.sources.base import BAR_COLUMNS, PriceSource, empty_bars, standardize_bars
from pairs_platform.data.sources.bundled import BundledSource
from pairs_platform.data.sources.combined import CombinedSource
from pairs_platform.data.sources.files import FileSource
from pairs_platform.data.sources.synthetic import SyntheticSource

SOURCE_KINDS = ("bundled", "synthetic", "files", "combined", "ib")


def make_source(kind: str, **options: Any) -> PriceSource:
    """Build a price source from configuration.

    - ``'bundled'``: ``BundledSource()`` (no options): real closes of 20 S&P 500 stocks.
    - ``'synthetic'``: ``SyntheticSource(seed=7, start='1990-01-02')``: all four asset classes.
    - ``'files'``: ``FileSource(path=...)``: your CSV/Parquet directory.
    - ``'combined'``: ``CombinedSource(parts=[...])``, each part a kind name or a dict
      ``{'kind': ..., **options}``; an instrument is served by the first part that has it
      (default parts: ``['bundled', 'synthetic']``: real equities plus synthetic other classes).
    - ``'ib'``: ``IBSource(instruments=None, bar_size='1 day')``: historical bars from a running
      TWS / IB Gateway (``pip install -e .[ib]``; see ``pairs_platform.data.sources.ib``).
    """
    kind = str(kind).lower()
    if kind == "bundled":
        return BundledSource(**options)
    if kind == "synthetic":
        return SyntheticSource(**options)
    if kind == "files":
        return FileSource(**options)
    if kind == "combined":
        parts = options.pop("parts", ["bundled", "synthetic"])
        built = [make_source(p) if isinstance(p, str) else make_source(**dict(p)) for p in parts]
        return CombinedSource(built, **options)
    if kind == "ib":
        from pairs_platform.data.sources.ib import IBSource  # lazy: ib_async only when asked for

        return IBSource(**options)
    raise ValueError(f"unknown price source kind {kind!r}; choose one of {SOURCE_KINDS}")


__all__ = ["BAR_COLUMNS", "BundledSource", "CombinedSource", "FileSource", "PriceSource", "SOURCE_KINDS",
           "SyntheticSource", "empty_bars", "make_source", "standardize_bars"]
