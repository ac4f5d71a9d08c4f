"""Round trips of every value type the asset graph produces, and the store's API and layout."""
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from store_values import assert_same, backtest, signal_model, spreads, trained_filter

from pairs_platform.store import AssetStore, StoreError
from pairs_platform.store.models import trusted_model_types


@pytest.fixture
def store(tmp_path):
    return AssetStore(tmp_path)


def _round_trip(store, value, key=("value",)):
    stored = store.save(list(key), value)
    back = store.load(list(key))
    assert_same(value, back)
    return stored, back


def test_frames_series_index_and_arrays_round_trip_in_their_own_formats(store, tmp_path):
    dates = pd.bdate_range("2024-01-01", periods=5, name="date")
    frame = pd.DataFrame({"close": np.arange(5.0), "instrument_id": list("abcde")}, index=dates)
    wide = pd.DataFrame(np.ones((5, 2)), index=dates, columns=pd.Index(["EQ:A", "EQ:B"], name="instrument_id"))
    multi = frame.set_axis(pd.DatetimeIndex(list(dates), name="date")).set_index("instrument_id", append=True)
    cases = {"frame": (frame, ".parquet"), "wide": (wide, ".parquet"), "multi": (multi, ".parquet"),
             "series": (pd.Series([0, 1, 2, -1, 0], index=dates, name="regime"), ".series.parquet"),
             "unnamed": (pd.Series([1.5, np.nan], index=pd.Index(["x", "y"])), ".series.parquet"),
             "index": (dates, ".index.parquet"),
             "array": (np.arange(6.0).reshape(2, 3), ".npz"), "mask": (np.eye(2, dtype=bool), ".npz")}
    for name, (value, suffix) in cases.items():
        stored, back = _round_trip(store, value, (name,))
        assert stored.path == tmp_path / f"{name}{suffix}"
    assert store.load(["index"]).freq == "B"  # parquet alone drops it; the store keeps it


def test_small_structures_are_json_with_types_kept(store, tmp_path):
    value = {"summary": {"sharpe": 1.25, "trades": 40, "max_dd": float("nan"), "inf": float("inf")},
             "dates": (pd.Timestamp("2024-01-02"), dt.date(2024, 1, 3), dt.datetime(2024, 1, 4, 9, 30)),
             "gap": pd.Timedelta(days=2), "missing": pd.NaT, "numpy": np.float64(0.5), "flags": {3, 1},
             1: "int key", "$t": "reserved key", "none": None, "text": "x"}
    stored, back = _round_trip(store, value)
    assert stored.path == tmp_path / "value.json" and stored.codec == "json"
    assert back["missing"] is pd.NaT and back["gap"] == pd.Timedelta(days=2)
    assert _round_trip(store, "path/to/report.html")[0].codec == "json"


def test_spread_panel_is_a_folder_of_safe_files(store, tmp_path):
    stored, back = _round_trip(store, spreads(), ("spreads",))
    folder = tmp_path / "spreads.dataclass"
    assert stored.path == folder and stored.codec == "dataclass"
    assert sorted(p.name for p in folder.iterdir()) == [
        "dates.index.parquet", "manifest.json", "mask.npz", "spreads.npz", "zscores.npz"]
    assert back.dates.name == "date" and back.to_frame().equals(spreads().to_frame())


def test_backtest_result_round_trips_with_its_nested_parameter_dataclasses(store, tmp_path):
    result = backtest()
    assert len(result.trades) > 0
    _, back = _round_trip(store, result, ("backtest_results",))
    assert back.params == result.params and back.limits == result.limits and back.costs == result.costs
    assert not any(p.suffix == ".pickle" for p in tmp_path.rglob("*"))


@pytest.mark.parametrize("model", ["gradient_boosting", "random_forest", "logistic"])
def test_signal_model_segments_round_trip_via_skops_and_predict_the_same(store, tmp_path, model):
    value = signal_model(model)
    _, back = _round_trip(store, value, ("signal_model",))
    _, features = trained_filter(model)
    before, after = value["segments"][1].model, back["segments"][1].model
    pd.testing.assert_series_equal(before.predict_proba(features), after.predict_proba(features))
    assert back["segments"][0].model is None
    assert len(list(tmp_path.rglob("*.skops"))) == 1


def test_a_model_read_again_is_a_private_copy_and_a_changed_file_is_read_anew(store, tmp_path, monkeypatch):
    import skops.io

    from pairs_platform.store import models

    loads = []
    models._loaded.clear()  # models other tests loaded
    real_loads = skops.io.loads
    monkeypatch.setattr(skops.io, "loads", lambda *a, **k: loads.append(1) or real_loads(*a, **k))
    store.save(("signal_model",), signal_model("logistic"))
    first, second = (store.load(("signal_model",))["segments"][1].model for _ in range(2))
    _, features = trained_filter("logistic")
    pd.testing.assert_series_equal(first.predict_proba(features), second.predict_proba(features))
    assert first is not second and len(loads) == 1  # the second read is served from the first load
    first.threshold = -1.0  # a caller changing its copy changes nobody else's
    assert store.load(("signal_model",))["segments"][1].model.threshold != -1.0
    store.save(("signal_model",), signal_model("random_forest"))  # new bytes: loaded and reviewed anew
    before = len(loads)
    store.load(("signal_model",))
    assert len(loads) == before + 1
    assert len(models._loaded) <= models.LOADED_MODELS_KEPT


def test_trusted_model_types_come_from_the_ml_registry_list():
    from pairs_platform.ml.training import SKOPS_TRUSTED_TYPES

    assert trusted_model_types() == {t for types in SKOPS_TRUSTED_TYPES.values() for t in types}


def test_saving_another_format_replaces_the_old_file(store, tmp_path):
    store.save(["report"], pd.DataFrame({"a": [1]}))
    store.save(["report"], "now a path")
    assert not (tmp_path / "report.parquet").exists()
    assert store.load(["report"]) == "now a path"


def test_nested_key_paths_and_partitions(store, tmp_path):
    frame = pd.DataFrame({"session": pd.to_datetime(["2024-01-02", "2024-01-02", "2024-01-04"]),
                          "instrument_id": ["a", "b", "a"], "close": [1.0, 2.0, 3.0]})
    keys = ["2024-01-02", "2024-01-03", "2024-01-04"]
    written = store.save_partitions(["prices", "cleaned"], frame, keys)
    assert written.rows == {"2024-01-02": 2, "2024-01-03": 0, "2024-01-04": 1}
    assert (tmp_path / "prices" / "cleaned" / "2024-01-03.parquet").exists()  # materialized and empty
    assert store.partition_keys(["prices", "cleaned"]) == keys
    pd.testing.assert_frame_equal(store.load_partitions(["prices", "cleaned"]), frame)
    pd.testing.assert_frame_equal(store.load_partitions(["prices", "cleaned"], ["2024-01-04", "2023-12-29"]),
                                  frame.iloc[2:].reset_index(drop=True))
    with pytest.raises(StoreError, match="no materialized partition of cleaned"):
        store.load_partitions(["prices", "cleaned"], ["2023-12-29"])


def test_never_stored_asset_is_a_clear_error(store):
    with pytest.raises(StoreError, match="backtest_results has no stored value under .*materialize it first"):
        store.load(["backtest_results"])


@pytest.mark.parametrize("key", [["..", "secrets"], ["a/b"], ["a", "..", "b"], ["."], [""], ["x y"], ["~"], []])
def test_bad_key_paths_are_refused_before_they_reach_a_path(store, key):
    with pytest.raises(StoreError, match="asset key"):
        store.save(key, {"a": 1})
    with pytest.raises(StoreError, match="asset key"):
        store.load(key)


def test_bad_partition_keys_are_refused(store):
    frame = pd.DataFrame({"date": pd.to_datetime(["2024-01-02"]), "close": [1.0]})
    with pytest.raises(StoreError, match="partition key '../2024-01-02'"):
        store.save_partitions(["bars"], frame, ["../2024-01-02"])
