"""Leaf codecs: one safe file per value, chosen by type (no format here can run code on read).

Every codec has a ``name`` (recorded in manifests), a ``suffix`` (appended to the node's name)
and ``write(path, value)`` / ``read(path)``.

=================  ====================  =============================================
type               suffix                format
=================  ====================  =============================================
``pd.DataFrame``   ``.parquet``          Parquet (index and column names kept)
``pd.Series``      ``.series.parquet``   Parquet, one column, the name in the metadata
``pd.Index``       ``.index.parquet``    Parquet of a frame with that index, no columns
``np.ndarray``     ``.npz``              ``np.savez``; read with ``allow_pickle=False``
small structures   ``.json``             tagged JSON (:mod:`pairs_platform.store.jsontree`)
=================  ====================  =============================================
"""
from __future__ import annotations

import json
import shutil
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from pairs_platform.store import jsontree

SERIES_NAME_KEY = b"pairs_platform.series_name"
FREQ_KEY = b"pairs_platform.index_freq"
SERIES_COLUMN = "value"


class Codec(Protocol):
    """Writes and reads one stored value at ``path`` (a file, or a folder for composite codecs)."""

    name: str
    suffix: str

    def write(self, path: UPath, value: Any) -> None:
        """Stores ``value`` at ``path`` (replacing what is there)."""

    def read(self, path: UPath) -> Any:
        """The value stored at ``path``."""


def remove(path: UPath) -> None:
    """Deletes the file or folder at ``path`` if there is one."""
    if not path.exists():
        return
    if path.is_dir():
        if path.protocol in ("", "file", "local"):
            shutil.rmtree(path)
        else:
            path.fs.rm(path.path, recursive=True)
    else:
        path.unlink()


def write_table(path: UPath, frame: pd.DataFrame, extra: dict[bytes, bytes] | None = None) -> None:
    """``frame`` (with its index) as Parquet; a ``DatetimeIndex``'s ``freq`` is kept in the metadata."""
    table = pa.Table.from_pandas(frame)
    meta = {**(table.schema.metadata or {}), **(extra or {})}
    freq = getattr(frame.index, "freqstr", None)
    if freq:
        meta[FREQ_KEY] = freq.encode()
    pq.write_table(table.replace_schema_metadata(meta), path)


def read_table(path: UPath) -> tuple[pd.DataFrame, dict[bytes, bytes]]:
    """Inverse of :func:`write_table`: the frame and the file's metadata."""
    table = pq.read_table(path)
    meta = table.schema.metadata or {}
    frame = table.to_pandas()
    if FREQ_KEY in meta:
        frame.index = pd.DatetimeIndex(frame.index, freq=meta[FREQ_KEY].decode())
    return frame, meta


class FrameCodec:
    """``pd.DataFrame`` as Parquet (string column names; index, dtypes and index freq kept)."""

    name, suffix = "frame", ".parquet"

    def write(self, path: UPath, value: pd.DataFrame) -> None:
        write_table(path, value)

    def read(self, path: UPath) -> pd.DataFrame:
        return read_table(path)[0]


class SeriesCodec:
    """``pd.Series`` as a one-column Parquet table; its name is kept in the file's metadata."""

    name, suffix = "series", ".series.parquet"

    def write(self, path: UPath, value: pd.Series) -> None:
        write_table(path, value.to_frame(name=SERIES_COLUMN), {SERIES_NAME_KEY: jsontree.dumps(value.name).encode()})

    def read(self, path: UPath) -> pd.Series:
        frame, meta = read_table(path)
        return frame[SERIES_COLUMN].rename(jsontree.loads(meta.get(SERIES_NAME_KEY, b"null").decode()))


class IndexCodec:
    """``pd.Index`` (e.g. a ``DatetimeIndex``) as Parquet of a column-less frame on it."""

    name, suffix = "index", ".index.parquet"

    def write(self, path: UPath, value: pd.Index) -> None:
        write_table(path, pd.DataFrame(index=value))

    def read(self, path: UPath) -> pd.Index:
        return read_table(path)[0].index


class ArrayCodec:
    """``np.ndarray`` of a non-object dtype as ``.npz``; never unpickles on read."""

    name, suffix = "ndarray", ".npz"

    def write(self, path: UPath, value: np.ndarray) -> None:
        with path.open("wb") as handle:
            np.savez(handle, value=value, allow_pickle=False)

    def read(self, path: UPath) -> np.ndarray:
        with path.open("rb") as handle, np.load(handle, allow_pickle=False) as archive:
            return archive["value"]


class JsonCodec:
    """Small structures (dict/list/tuple/set of str, numbers, bool, None, dates) as tagged JSON."""

    name, suffix = "json", ".json"

    def write(self, path: UPath, value: Any) -> None:
        path.write_text(jsontree.dumps(value), encoding="utf-8")

    def read(self, path: UPath) -> Any:
        return jsontree.decode(json.loads(path.read_text(encoding="utf-8")))
