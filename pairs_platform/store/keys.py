"""Validation of asset-key path segments and partition keys before they reach a path."""
from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pairs_platform.store.errors import StoreError

SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


def check_segment(segment: str, what: str = "asset key segment") -> str:
    """``segment`` if it is letters, digits, ``_`` and ``-`` only (so no ``/``, ``..`` or ``~``).

    Raises
    ------
    StoreError
        Naming the segment and the allowed characters.
    """
    if not isinstance(segment, str) or not SEGMENT.match(segment):
        raise StoreError(f"{what} {segment!r} may hold only letters, digits, '_' and '-' (no '/', '.', "
                         "'..' or spaces); rename the asset or partition")
    return segment


def key_path(key: str | Sequence[str]) -> tuple[str, ...]:
    """The validated segments of an asset key: a sequence of segments or one segment string.

    Examples
    --------
    >>> key_path(["research", "spreads"])
    ('research', 'spreads')
    """
    segments = (key,) if isinstance(key, str) else tuple(key)
    if not segments:
        raise StoreError("an asset key needs at least one segment, got an empty key")
    return tuple(check_segment(s) for s in segments)


def partition_names(keys: Iterable[str]) -> list[str]:
    """Validated partition keys (each becomes a file name ``<key>.parquet``)."""
    return [check_segment(k, "partition key") for k in keys]
