"""Nothing the store reads can run code: crafted pickles, tampered signed pickles, untrusted model
types and foreign dataclass names are refused with a clear error, and the payload never runs."""
import io
import json
import os
import pickle
from fractions import Fraction

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from pairs_platform.defs.io_manager import PartitionedParquetIOManager
from pairs_platform.store import KEY_ENV, AssetStore, StoreError
from pairs_platform.store.models import MAGIC

KEY = "k" * 40


class Payload:
    """Unpickling this creates ``marker`` (standing in for any code an attacker would run)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _crafted(marker) -> bytes:
    return pickle.dumps(Payload(marker))


# Every name the old IO manager or this store would look at for an unpartitioned asset.
SUFFIXES = [".pickle", ".parquet", ".series.parquet", ".index.parquet", ".npz", ".json", ".skops",
            ".signed-pickle"]


def _plant(folder, name, suffix, marker):
    path = folder / f"{name}{suffix}"
    path.write_bytes(_crafted(marker))
    return path


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_a_crafted_pickle_where_a_value_is_read_never_runs(tmp_path, monkeypatch, suffix):
    monkeypatch.setenv(KEY_ENV, KEY)
    marker = tmp_path / "pwned"
    _plant(tmp_path, "backtest_results", suffix, marker)
    with pytest.raises(StoreError):
        AssetStore(tmp_path).load(["backtest_results"])
    assert not marker.exists()


@pytest.mark.parametrize("folder_suffix", [".dataclass", ".items"])
def test_a_crafted_pickle_as_a_folder_manifest_never_runs(tmp_path, folder_suffix):
    marker = tmp_path / "pwned"
    folder = tmp_path / f"spreads{folder_suffix}"
    folder.mkdir()
    _plant(folder, "manifest", ".json", marker)
    with pytest.raises(StoreError, match="not a store manifest"):
        AssetStore(tmp_path).load(["spreads"])
    assert not marker.exists()


def test_the_old_unsigned_pickle_is_named_but_never_loaded(tmp_path):
    marker = tmp_path / "pwned"
    _plant(tmp_path, "signal_model", ".pickle", marker)
    with pytest.raises(StoreError, match=r"signal_model.pickle is an unsigned pickle .* never loaded"):
        AssetStore(tmp_path).load(["signal_model"])
    assert not marker.exists()


def test_an_npz_holding_a_pickled_object_array_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    buffer = io.BytesIO()
    np.savez(buffer, value=np.array([Payload(marker)], dtype=object), allow_pickle=True)
    (tmp_path / "mask.npz").write_bytes(buffer.getvalue())
    with pytest.raises(StoreError, match="mask.npz"):
        AssetStore(tmp_path).load(["mask"])
    assert not marker.exists()


def test_a_model_with_an_unreviewed_type_is_refused_on_write_and_on_read(tmp_path):
    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    model = FunctionTransformer(func=os.system)
    with pytest.raises(StoreError, match="not on the reviewed list"):
        AssetStore(tmp_path).save(["model"], model)
    (tmp_path / "model.skops").write_bytes(skops.io.dumps(model))
    with pytest.raises(StoreError, match=r"types \[.posix.system.\] .* not on the reviewed list"):
        AssetStore(tmp_path).load(["model"])


@pytest.mark.parametrize("qualified", ["subprocess:Popen", "os:system", "pairs_platform.store.store:AssetStore"])
def test_a_manifest_naming_a_foreign_class_is_refused(tmp_path, qualified):
    folder = tmp_path / "spreads.dataclass"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({
        "format": "pairs_platform.store/1", "kind": "dataclass", "type": qualified,
        "fields": {"args": {"inline": ["touch", str(tmp_path / "pwned")]}}}))
    with pytest.raises(StoreError, match="dataclass"):
        AssetStore(tmp_path).load(["spreads"])
    assert not (tmp_path / "pwned").exists()


def test_a_value_without_a_safe_format_needs_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(StoreError, match=f"Fraction .* set {KEY_ENV} to a secret"):
        AssetStore(tmp_path).save(["odd"], Fraction(1, 3))
    monkeypatch.setenv(KEY_ENV, "short")
    with pytest.raises(StoreError, match="at least 32 characters"):
        AssetStore(tmp_path).save(["odd"], Fraction(1, 3))


def test_signed_pickle_round_trips_and_tampering_is_caught_before_unpickling(tmp_path, monkeypatch):
    monkeypatch.setenv(KEY_ENV, KEY)
    store = AssetStore(tmp_path)
    stored = store.save(["odd"], Fraction(1, 3))
    assert stored.path.name == "odd.signed-pickle" and store.load(["odd"]) == Fraction(1, 3)
    data = bytearray(stored.path.read_bytes())
    data[-3] ^= 1
    stored.path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="integrity check failed"):
        store.load(["odd"])
    marker = tmp_path / "pwned"
    header = stored.path.read_bytes()[:len(MAGIC) + 32]
    stored.path.write_bytes(header + _crafted(marker))  # a payload under someone else's tag
    with pytest.raises(StoreError, match="integrity check failed"):
        store.load(["odd"])
    monkeypatch.setenv(KEY_ENV, "x" * 40)  # a value signed with another key
    stored.path.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="integrity check failed"):
        store.load(["odd"])
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(StoreError, match=f"set {KEY_ENV}"):
        store.load(["odd"])
    assert not marker.exists()


@pytest.mark.parametrize("planted", [[".pickle"], SUFFIXES], ids=["old_pickle_path", "every_path"])
def test_run_config_base_dir_cannot_make_a_job_run_a_planted_pickle(tmp_path, planted):
    """The reported exploit: a launchpad run config points ``io_manager.base_dir`` at a folder
    holding a crafted ``<asset>.pickle``; the downstream step fails cleanly, nothing runs."""
    @dg.asset
    def backtest_results() -> dict:
        return {"sharpe": 1.0}

    @dg.asset(deps=[backtest_results])
    def report(backtest_results: dict) -> str:
        return "ok"

    evil, marker = tmp_path / "evil", tmp_path / "pwned"
    evil.mkdir()
    for suffix in planted:
        _plant(evil, "backtest_results", suffix, marker)
    defs = dg.Definitions(assets=[backtest_results, report], jobs=[dg.define_asset_job("j", selection="report")],
                          resources={"io_manager": PartitionedParquetIOManager(base_dir=str(tmp_path / "safe"))})
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("j").execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"resources": {"io_manager": {"config": {"base_dir": str(evil)}}}})
    assert not result.success
    error = next(e for e in result.all_events if e.is_step_failure).step_failure_data.error
    assert error.cause.cls_name == "StoreError"
    expected = "is an unsigned pickle from an older version and is never loaded" if len(planted) == 1 else \
        "is stored in several formats"
    assert expected in error.cause.message and str(evil) in error.cause.message
    assert not marker.exists()
