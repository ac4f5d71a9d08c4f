"""Price sources behind one protocol, built by the registry (``make_source``, ``SOURCE_FACTORIES``)."""
from __future__ import annotations

from pairs_platform.data.sources.base import BAR_COLUMNS, PriceSource, empty_bars, standardize_bars
from pairs_platform.data.sources.bundled import BundledSource
from pairs_platform.data.sources.combined import CombinedSource
from pairs_platform.data.sources.files import FileSource
from pairs_platform.data.sources.registry import (
    SOURCE_FACTORIES, SOURCE_KINDS, SourceSelection, make_source, register_source,
)
from pairs_platform.data.sources.synthetic import SyntheticSource

__all__ = ["BAR_COLUMNS", "BundledSource", "CombinedSource", "FileSource", "PriceSource", "SOURCE_FACTORIES",
           "SOURCE_KINDS", "SourceSelection", "SyntheticSource", "empty_bars", "make_source", "register_source",
           "standardize_bars"]
