"""Reuse of formation-window screenings whose inputs did not change.

A formation window's selection depends only on its own prices, the selector and its options, and
the code. After the close, a new session leaves every complete formation window's prices as they
were, so the daily run re-screens only windows whose content changed (usually none, or the one a
new window starts). The key is a SHA-256 of that content (:func:`screening_key`), so a revised
price (a corrected bar, a back-adjusted split) changes the key and the window is screened again;
nothing is reused by date alone.

:class:`ScreeningMemo` is the interface; :class:`pairs_platform.store.screening.FolderScreeningMemo`
keeps the results as files (safe formats only) under the data directory.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple, Protocol

import numpy as np
import pandas as pd

PACKAGE = Path(__file__).resolve().parents[1]
MEMO_VERSION = "screening-memo/1"


class Screened(NamedTuple):
    """One formation window's selection: the selector's rows (None when it chose nothing) and a
    copy of its ``attrs`` (the window's selection record)."""

    chosen: pd.DataFrame | None
    attrs: dict


class ScreeningMemo(Protocol):
    """Where screened windows are kept between runs, by :func:`screening_key`."""

    def get(self, key: str) -> Screened | None:
        """The window screened under ``key``, or None (never screened, or unreadable)."""

    def put(self, key: str, screened: Screened) -> None:
        """Keeps ``screened`` under ``key``."""


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """SHA-256 of the package's Python sources: any code change invalidates every kept screening."""
    digest = hashlib.sha256(MEMO_VERSION.encode())
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" not in path.parts:
            digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _update(digest, value: Any) -> None:
    """Feeds ``value`` into ``digest``: frames by content (values, index, columns, dtypes), arrays by
    bytes, dataclasses and mappings field by field, scalars by type and ``repr``."""
    if isinstance(value, pd.DataFrame):
        digest.update(repr((list(map(str, value.columns)), list(map(str, value.dtypes)), value.shape)).encode())
        if all(dtype.kind in "fiub" for dtype in value.dtypes) and isinstance(value.index.dtype, np.dtype) \
                and value.index.dtype.kind in "Miu":
            _update(digest, value.index.to_numpy())  # prices: the bytes themselves, no per-column hashing
            _update(digest, value.to_numpy())
        else:
            digest.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
    elif isinstance(value, np.ndarray) and value.dtype.hasobject:
        _update(digest, value.tolist())
    elif isinstance(value, np.ndarray):
        digest.update(repr((str(value.dtype), value.shape)).encode() + np.ascontiguousarray(value).tobytes())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        digest.update(type(value).__qualname__.encode())
        _update(digest, {f.name: getattr(value, f.name) for f in dataclasses.fields(value)})
    elif isinstance(value, Mapping):
        for key in sorted(value, key=str):
            digest.update(repr(key).encode())
            _update(digest, value[key])
    elif isinstance(value, (list, tuple)):
        digest.update(f"{type(value).__name__}[{len(value)}]".encode())
        for item in value:
            _update(digest, item)
    else:
        digest.update(f"{type(value).__qualname__}:{value!r};".encode())


def options_digest(path: str, options: Mapping[str, Any]) -> str:
    """SHA-256 of a selector (its registered path and keyword options) and the code."""
    digest = hashlib.sha256(f"{code_digest()}|{path}".encode())
    _update(digest, dict(options))
    return digest.hexdigest()


def screening_key(selector_digest: str, formation: pd.DataFrame) -> str:
    """The key of one formation window: its prices (exactly what the selector receives) and
    :func:`options_digest`."""
    digest = hashlib.sha256(selector_digest.encode())
    _update(digest, formation)
    return digest.hexdigest()
