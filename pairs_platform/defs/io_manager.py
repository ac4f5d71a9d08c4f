"""Parquet IO manager that stores each daily partition in its own file.

Layout under ``base_dir`` (a local path by default, any fsspec/UPath URL in production)::

    <asset key path>/<YYYY-MM-DD>.parquet     one file per partition of a partitioned asset
    <asset key path>.parquet                  an unpartitioned DataFrame
    <asset key path>.pickle                   any other unpartitioned value

A backfill over a range writes each partition's file and touches no other, and re-materializing a
partition replaces its file: partitions are idempotent. A partitioned output is a DataFrame with a
``session`` column (the trading day a row belongs to) or, failing that, a ``date`` column or
``DatetimeIndex``; a partition with no rows is written as an empty file, so that "materialized and
empty" stays distinguishable from "never materialized".
"""
from __future__ import annotations

import pickle
from typing import Any

import dagster as dg
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from upath import UPath

PARTITION_COLUMNS = ("session", "date")


def _partition_dates(frame: pd.DataFrame) -> pd.Series:
    for column in PARTITION_COLUMNS:
        if column in frame.columns:
            return pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d")
    if isinstance(frame.index, pd.DatetimeIndex):
        return pd.Series(frame.index.strftime("%Y-%m-%d"), index=frame.index)
    raise TypeError("a partitioned output must be a DataFrame with a 'session' or 'date' column "
                    "or a DatetimeIndex, so each row can be written to its day's partition")


class PartitionedParquetIOManager(dg.ConfigurableIOManager):
    """Stores asset values as Parquet, one file per daily partition."""

    base_dir: str

    def _root(self, context) -> UPath:
        return UPath(self.base_dir).joinpath(*context.asset_key.path)

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is None:
            return
        root = self._root(context)
        if context.has_asset_partitions:
            self._write_partitions(context, root, obj)
        elif isinstance(obj, pd.DataFrame):
            root.parent.mkdir(parents=True, exist_ok=True)
            path = root.with_suffix(".parquet")
            obj.to_parquet(path)
            context.add_output_metadata({"path": str(path), "rows": len(obj)})
        else:
            root.parent.mkdir(parents=True, exist_ok=True)
            path = root.with_suffix(".pickle")
            path.write_bytes(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
            context.add_output_metadata({"path": str(path)})

    def _write_partitions(self, context: dg.OutputContext, root: UPath, frame: pd.DataFrame) -> None:
        if not isinstance(frame, pd.DataFrame):
            raise TypeError(f"partitioned asset {context.asset_key.to_user_string()} must return a DataFrame")
        keys = list(context.asset_partition_keys)
        days = _partition_dates(frame)
        outside = sorted(set(days) - set(keys))
        if outside:
            raise ValueError(f"{context.asset_key.to_user_string()} returned rows for days outside the "
                             f"partitions being materialized ({outside[:3]}...); filter them in the asset")
        root.mkdir(parents=True, exist_ok=True)
        empty = frame.iloc[0:0]
        groups = dict(tuple(frame.groupby(days.to_numpy(), sort=False))) if len(frame) else {}
        for key in keys:
            part = groups.get(key, empty)
            pq.write_table(pa.Table.from_pandas(part, preserve_index=False), root / f"{key}.parquet")
        context.add_output_metadata({"rows": len(frame), "partitions_written": len(keys),
                                     "path": str(root)})

    def load_input(self, context: dg.InputContext) -> Any:
        root = self._root(context.upstream_output)
        if context.has_asset_partitions:
            return self._read_partitions(root, context.asset_partition_keys)
        if root.with_suffix(".parquet").exists():
            return pd.read_parquet(root.with_suffix(".parquet"))
        path = root.with_suffix(".pickle")
        if not path.exists():
            raise FileNotFoundError(f"{context.asset_key.to_user_string()} has not been materialized "
                                    f"(no {path}); materialize it first")
        return pickle.loads(path.read_bytes())

    @staticmethod
    def _read_partitions(root: UPath, keys) -> pd.DataFrame:
        """Reads the partitions that exist; a range may reach before the first materialized day."""
        files = [root / f"{key}.parquet" for key in sorted(keys)]
        present = [str(f) for f in files if f.exists()]
        if not present:
            raise FileNotFoundError(f"no materialized partition of {root.name} among "
                                    f"{len(files)} requested; materialize it first")
        tables = [pq.read_table(path) for path in present]
        return pa.concat_tables(tables, promote_options="default").to_pandas()
