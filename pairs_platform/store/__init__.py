"""Asset store: asset values under a base directory in safe formats only (no Dagster import).

>>> from pairs_platform.store import AssetStore
>>> store = AssetStore(".data/assets")                                  # doctest: +SKIP
>>> result = store.load(["backtest_results"])                           # doctest: +SKIP
>>> bars = store.load_partitions(["cleaned_prices"], ["2024-01-02"])    # doctest: +SKIP
"""
from pairs_platform.store.codecs import Codec
from pairs_platform.store.errors import StoreError
from pairs_platform.store.keys import key_path
from pairs_platform.store.models import KEY_ENV, trusted_model_types
from pairs_platform.store.registry import CodecRegistry
from pairs_platform.store.store import AssetStore, Stored, StoredPartitions

__all__ = ["KEY_ENV", "AssetStore", "Codec", "CodecRegistry", "Stored", "StoredPartitions", "StoreError",
           "key_path", "trusted_model_types"]
