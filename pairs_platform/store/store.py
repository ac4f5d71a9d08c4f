"""The asset store: the latest value of every asset under one base directory, safe formats only.

Layout under ``base_dir`` (a local path, or any fsspec/UPath URL)::

    <key path>/<YYYY-MM-DD>.parquet      one file per partition of a partitioned table
    <key path><suffix>                   an unpartitioned value, suffix by codec (see codecs.py):
                                         .parquet .series.parquet .index.parquet .npz .json
                                         .skops .dataclass/ .items/ (.signed-pickle: keyed only)

Nothing here imports Dagster: the API and notebooks read assets with
``AssetStore(base_dir).load(["backtest_results"])``.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from upath import UPath

from pairs_platform.store import partitions
from pairs_platform.store.codecs import remove
from pairs_platform.store.errors import StoreError
from pairs_platform.store.keys import key_path
from pairs_platform.store.registry import CodecRegistry

AssetKeyPath = str | Sequence[str]
LEGACY_PICKLE = ".pickle"


@dataclass(frozen=True)
class Stored:
    """Where a value went: ``path`` (file or folder) and the ``codec`` name that wrote it."""

    path: UPath
    codec: str


@dataclass(frozen=True)
class StoredPartitions:
    """Where a partitioned table went: its folder and the rows written per partition key."""

    path: UPath
    rows: dict[str, int]


class AssetStore:
    """Reads and writes asset values under ``base_dir`` with the codecs of ``registry``.

    Parameters
    ----------
    base_dir : str or os.PathLike
        Local folder or fsspec URL (``s3://bucket/assets``) holding the store.
    registry : CodecRegistry, optional
        Codecs by type; the default holds every type the asset graph produces.
    """

    def __init__(self, base_dir: str | os.PathLike, registry: CodecRegistry | None = None):
        self.base = UPath(base_dir)
        self.registry = registry or CodecRegistry()

    def path_for(self, key: AssetKeyPath) -> UPath:
        """``<base>/<segment>/...`` of a validated key path, without a suffix."""
        return self.base.joinpath(*key_path(key))

    def save(self, key: AssetKeyPath, value: Any) -> Stored:
        """Stores ``value`` as the latest value of ``key``, replacing one of another format."""
        root = self.path_for(key)
        codec = self.registry.codec_for(value)
        root.parent.mkdir(parents=True, exist_ok=True)
        for other in self.registry.codecs:
            if other is not codec:
                remove(root.parent / f"{root.name}{other.suffix}")
        self.registry.write_node(root.parent, root.name, value)
        return Stored(root.parent / f"{root.name}{codec.suffix}", codec.name)

    def stored(self, key: AssetKeyPath) -> Stored | None:
        """Where the latest value of ``key`` is, or None if it has none."""
        root = self.path_for(key)
        found = self.registry.stored(root.parent, root.name)
        if len(found) > 1:
            raise StoreError(f"{root} is stored in several formats {[c.suffix for c in found]}; delete the "
                             "stale ones or re-materialize the asset")
        return Stored(root.parent / f"{root.name}{found[0].suffix}", found[0].name) if found else None

    def load(self, key: AssetKeyPath) -> Any:
        """The latest stored value of ``key``.

        Raises
        ------
        StoreError
            If it was never stored (or only by the old unsafe pickle format, which is never read).
        """
        root = self.path_for(key)
        where = self.stored(key)
        if where is None:
            legacy = root.parent / f"{root.name}{LEGACY_PICKLE}"
            hint = (f"; {legacy} is an unsigned pickle from an older version and is never loaded"
                    if legacy.exists() else "")
            raise StoreError(f"{'/'.join(key_path(key))} has no stored value under {self.base}{hint}; "
                             "materialize it first")
        return self.registry.read_node(root.parent, root.name, where.codec)

    def save_partitions(self, key: AssetKeyPath, frame: pd.DataFrame, partition_keys: Iterable[str],
                        key_format: str = partitions.DAY_FORMAT) -> StoredPartitions:
        """Writes one Parquet file per partition key (empty for a partition without rows); a row's
        key is its day formatted with ``key_format`` (``%Y-%m-%d`` sessions, ``%Y-%m`` months)."""
        root = self.path_for(key)
        rows = partitions.write_partitions(root, frame, partition_keys, "/".join(key_path(key)), key_format)
        return StoredPartitions(root, rows)

    def load_partitions(self, key: AssetKeyPath, partition_keys: Iterable[str] | None = None) -> pd.DataFrame:
        """The rows of the stored partitions among ``partition_keys`` (all stored ones if None)."""
        root = self.path_for(key)
        keys = self.partition_keys(key) if partition_keys is None else partition_keys
        return partitions.read_partitions(root, keys)

    def partition_keys(self, key: AssetKeyPath) -> list[str]:
        """The partition keys of ``key`` that have a file, sorted."""
        return partitions.stored_partitions(self.path_for(key))
