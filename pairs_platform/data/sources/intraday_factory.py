"""The intraday source a configuration names: 'synthetic' (seeded) or 'files' (a folder and its timezone)."""
from __future__ import annotations

from pairs_platform.data.sources.intraday import IntradaySource
from pairs_platform.data.sources.intraday_files import IntradayFileSource
from pairs_platform.data.sources.synthetic_intraday import SyntheticIntradaySource

INTRADAY_SOURCE_KINDS = ("synthetic", "files")


def make_intraday_source(kind: str, seed: int = 7, path: str = "", timezone: str = "") -> IntradaySource:
    """The :class:`IntradaySource` of ``kind``; 'files' needs ``path`` and an explicit IANA ``timezone``."""
    if kind == "synthetic":
        return SyntheticIntradaySource(seed)
    if kind == "files":
        if not path or not timezone:
            raise ValueError("intraday source 'files' needs a folder path and its timezone (e.g. 'America/New_York')")
        return IntradayFileSource(path, timezone)
    raise ValueError(f"unknown intraday source {kind!r}; use one of {INTRADAY_SOURCE_KINDS}")
