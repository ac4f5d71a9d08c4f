"""The Dagster IO manager: a thin wrapper over :class:`pairs_platform.store.AssetStore`.

Formats and layout are the store's (Parquet per daily partition, and safe per-type files for the
rest; see ``pairs_platform/store``): nothing it reads can execute code, so a ``base_dir`` set in
run config can at worst point a run at the wrong data, never make it run a payload.

Metadata: the IO manager adds ``stored_at`` (a path), ``stored_format`` and row figures, and
never a key the asset's own ``Output`` already set (so ``performance_report``'s ``path`` stays
the tear sheet). A partitioned run records ``rows`` per partition on each partition's
materialization (Dagster 1.13 scopes metadata to one partition with
``add_asset_metadata(partition_key=...)`` on the step context), plus run-wide ``rows_in_run``,
``partitions_in_run`` and ``rows_per_partition_min/median/max``.
"""
from __future__ import annotations

from typing import Any

import dagster as dg
import numpy as np
import pandas as pd

from pairs_platform.defs.shared.metadata import add_per_partition_metadata
from pairs_platform.defs.shared.partitions import partition_key_format
from pairs_platform.store import AssetStore, StoredPartitions


def _add_new_metadata(context: dg.OutputContext, metadata: dict) -> None:
    """Adds only the keys the asset's own output metadata does not already hold."""
    taken = set(context.output_metadata or {})
    context.add_output_metadata({k: v for k, v in metadata.items() if k not in taken})


def _partition_metadata(context: dg.OutputContext, written: StoredPartitions) -> None:
    counts = np.fromiter(written.rows.values(), dtype=np.int64, count=len(written.rows))
    _add_new_metadata(context, {
        "stored_at": dg.MetadataValue.path(str(written.path)), "stored_format": "parquet per partition",
        "rows_in_run": int(counts.sum()), "partitions_in_run": len(counts),
        "rows_per_partition_min": int(counts.min()), "rows_per_partition_median": float(np.median(counts)),
        "rows_per_partition_max": int(counts.max())})
    if "rows" not in (context.output_metadata or {}):
        add_per_partition_metadata(context.step_context, context.asset_key,
                           {key: {"rows": rows} for key, rows in written.rows.items()})


class PartitionedParquetIOManager(dg.ConfigurableIOManager):
    """Stores asset values with the safe-format asset store, one Parquet file per daily partition."""

    base_dir: str

    def _store(self) -> AssetStore:
        return AssetStore(self.base_dir)

    def stored_partitions(self, asset_key: dg.AssetKey, partition_keys: list[str]) -> pd.DataFrame:
        """The stored rows of those of ``partition_keys`` already materialized (empty when none is)."""
        store = self._store()
        keys = sorted(set(partition_keys) & set(store.partition_keys(asset_key.path)))
        return store.load_partitions(asset_key.path, keys) if keys else pd.DataFrame()

    def handle_output(self, context: dg.OutputContext, obj: Any) -> None:
        if obj is None:
            return
        store = self._store()
        if context.has_asset_partitions:
            written = store.save_partitions(context.asset_key.path, obj, context.asset_partition_keys,
                                            partition_key_format(context.asset_partitions_def))
            _partition_metadata(context, written)
            return
        stored = store.save(context.asset_key.path, obj)
        metadata: dict = {"stored_at": dg.MetadataValue.path(str(stored.path)), "stored_format": stored.codec}
        if isinstance(obj, (pd.DataFrame, pd.Series)):
            metadata["rows"] = len(obj)
        _add_new_metadata(context, metadata)

    def load_input(self, context: dg.InputContext) -> Any:
        store = self._store()
        key = context.upstream_output.asset_key.path
        if context.has_asset_partitions:
            return store.load_partitions(key, context.asset_partition_keys)
        return store.load(key)
