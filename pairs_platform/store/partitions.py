"""Partitioned tables: one Parquet file per time partition, ``<root>/<key>.parquet``.

A partitioned value is a DataFrame with a ``session`` column (the trading day a row belongs to)
or, failing that, a ``date`` column or a ``DatetimeIndex``. A row's partition key is that day
formatted with the partitions' key format: ``%Y-%m-%d`` (one file per session, the default) or
``%Y-%m`` (one file per month). Every requested partition gets a file,
an empty one (same schema) for a day without rows, so "materialized and empty" stays
distinguishable from "never materialized"; re-writing a partition replaces only its file.
"""
from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

from pairs_platform.store.errors import StoreError
from pairs_platform.store.keys import partition_names

PARTITION_COLUMNS = ("session", "date")
SUFFIX = ".parquet"
DAY_FORMAT = "%Y-%m-%d"
READ_THREADS = 4  # partition files read at once (measured: 96 month files in 0.13 s instead of 0.25 s)


def partition_dates(frame: pd.DataFrame, key_format: str = DAY_FORMAT) -> np.ndarray:
    """The partition key of every row: its day formatted with ``key_format``."""
    for column in PARTITION_COLUMNS:
        if column in frame.columns:
            return pd.to_datetime(frame[column]).dt.strftime(key_format).to_numpy()
    if isinstance(frame.index, pd.DatetimeIndex):
        return np.asarray(frame.index.strftime(key_format))
    raise StoreError("a partitioned value must be a DataFrame with a 'session' or 'date' column or a "
                     "DatetimeIndex, so each row can be written to its day's partition")


def write_partitions(root: UPath, frame: pd.DataFrame, keys: Iterable[str], label: str,
                     key_format: str = DAY_FORMAT) -> dict[str, int]:
    """Writes one file per key of ``keys``; returns the rows written per partition.

    Raises
    ------
    StoreError
        If ``frame`` is not a DataFrame, or has rows for days outside ``keys`` (``label`` names it).
    """
    if not isinstance(frame, pd.DataFrame):
        raise StoreError(f"partitioned asset {label} must return a DataFrame, got {type(frame).__qualname__}")
    keys = partition_names(keys)
    days = partition_dates(frame, key_format)
    outside = sorted(set(days) - set(keys))
    if outside:
        raise StoreError(f"{label} returned rows for days outside the partitions being materialized "
                         f"({outside[:3]}...); filter them in the asset")
    order = np.argsort(days, kind="stable")
    table = pa.Table.from_pandas(frame.iloc[order], preserve_index=False)
    sorted_days = days[order]
    root.mkdir(parents=True, exist_ok=True)
    rows = {}
    for key in keys:
        first, last = np.searchsorted(sorted_days, key, "left"), np.searchsorted(sorted_days, key, "right")
        pq.write_table(table.slice(first, last - first), root / f"{key}{SUFFIX}")
        rows[key] = int(last - first)
    return rows


def read_partitions(root: UPath, keys: Iterable[str]) -> pd.DataFrame:
    """The rows of the partitions among ``keys`` that exist (a range may reach before the first
    materialized day), in partition order."""
    files = [root / f"{key}{SUFFIX}" for key in sorted(partition_names(keys))]
    present = [f for f in files if f.exists()]
    if not present:
        raise StoreError(f"no materialized partition of {root.name} among {len(files)} requested "
                         f"under {root.parent}; materialize it first")
    with ThreadPoolExecutor(max_workers=min(READ_THREADS, len(present))) as pool:  # Parquet reads release the GIL
        tables = list(pool.map(lambda path: pq.read_table(str(path)), present))
    return pa.concat_tables(tables, promote_options="default").to_pandas()


def stored_partitions(root: UPath) -> list[str]:
    """The partition keys with a file under ``root``, sorted."""
    if not root.is_dir():
        return []
    return sorted(p.name[:-len(SUFFIX)] for p in root.iterdir() if p.name.endswith(SUFFIX))
