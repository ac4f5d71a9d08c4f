"""The wire format carries only data, and workers run only registered pairs_platform chunk functions."""
from __future__ import annotations

import functools
import json

import numpy as np
import pandas as pd
import pytest

from pairs_platform.backtest import CostModel, RiskLimits, StrategyParams
from pairs_platform.pairs.schedule import screen_windows, select_formation_pairs
from pairs_platform.parallel import (
    CodecError, LocalBackend, backend_named, call_reference, chunked, decode, encode, parallel_map, resolve_task,
)
from pairs_platform.parallel.tasks import run_encoded


def test_codec_round_trips_frames_arrays_and_core_dataclasses_through_json():
    frame = pd.DataFrame({"a": [1.5, np.nan], "d": pd.to_datetime(["2024-01-02", "2024-01-03"]), "s": ["x", "y"]},
                         index=pd.Index(["EQ:A", "EQ:B"], name="instrument_id"))
    stats = np.zeros(3, dtype=[("trades", "i8"), ("pnl", "f8")])
    value = {"frame": frame, "stats": stats, "params": [StrategyParams(entry_z=2.5)], "nan": float("nan"),
             "limits": RiskLimits(max_class_gross={"crypto": 0.5}), "costs": CostModel(), "pair": ("y", "x"),
             "when": pd.Timestamp("2024-01-02"), "n": np.int64(3), "none": None}
    back = decode(json.loads(json.dumps(encode(value))))
    pd.testing.assert_frame_equal(back["frame"], frame, check_exact=True)
    np.testing.assert_array_equal(back["stats"], stats)
    assert back["params"] == [StrategyParams(entry_z=2.5)] and back["costs"] == CostModel()
    assert back["limits"] == RiskLimits(max_class_gross={"crypto": 0.5})
    assert back["pair"] == ("y", "x") and back["when"] == pd.Timestamp("2024-01-02") and back["n"] == 3
    assert np.isnan(back["nan"]) and back["none"] is None


def test_codec_refuses_what_would_need_pickle_or_foreign_classes():
    from dataclasses import dataclass

    @dataclass
    class Foreign:
        x: int = 1

    with pytest.raises(CodecError, match="object arrays"):
        encode(np.array([object()], dtype=object))
    with pytest.raises(CodecError, match="only pairs_platform dataclasses"):
        encode(Foreign())
    with pytest.raises(CodecError, match="refusing dataclass"):
        decode({"__dataclass__": "subprocess:Popen", "fields": {"__dict__": {"args": ["true"]}}})
    with pytest.raises(CodecError, match="cannot carry"):
        encode({1, 2})


def test_workers_run_only_registered_pairs_platform_functions():
    with pytest.raises(ValueError, match="not a 'pairs_platform"):
        resolve_task("os:system")
    with pytest.raises(ValueError, match="not registered"):
        resolve_task("pairs_platform.cli:main")
    with pytest.raises(ValueError, match="not registered"):
        run_encoded("pairs_platform.pairs.selection:select_pairs", None)
    assert resolve_task("pairs_platform.pairs.schedule:screen_windows") is screen_windows


def test_selectors_must_be_importable_references():
    path, options = call_reference(functools.partial(select_formation_pairs, max_pairs=3))
    assert path == "pairs_platform.pairs.schedule:select_formation_pairs" and options == {"max_pairs": 3}
    with pytest.raises(ValueError, match="not a registered chunk function"):
        call_reference(lambda formation: formation)
    with pytest.raises(ValueError, match="positional"):
        call_reference(functools.partial(select_formation_pairs, None))


def test_chunks_cover_every_item_once_in_order():
    for n_items, n_chunks in [(10, 3), (2, 5), (7, 7), (0, 2), (1, 1)]:
        parts = chunked(n_items, n_chunks)
        assert [i for part in parts for i in part] == list(range(n_items))
        assert len(parts) <= n_chunks and all(len(p) for p in parts)
    with pytest.raises(ValueError, match="n_chunks"):
        chunked(3, 0)


def test_backend_names_and_parallel_map_order(monkeypatch):
    monkeypatch.delenv("PAIRS_CELERY_RESULT_BACKEND", raising=False)
    assert isinstance(backend_named("local"), LocalBackend)
    with pytest.raises(ValueError, match="one of"):
        backend_named("spark")
    amqp = backend_named("celery", broker_url="amqp://guest:guest@127.0.0.1:5672//")
    assert amqp.result_backend == "rpc://"
    assert parallel_map(screen_windows, [], LocalBackend()) == []
