"""The assets fan out through ``ParallelResource`` with the same value and the same metadata.

``pair_universe`` and ``parameter_search`` are materialized by Dagster (upstream assets stubbed
with a small planted-pairs market) without a backend, on a local pool of 2 processes and on real
Celery workers; the schedule, the funnel metadata and the search trials must be identical.
"""
from __future__ import annotations

import tempfile

import dagster as dg
import pandas as pd
import pytest
from celery.result import denied_join_result

from pairs_platform.defs.definitions import build_resources
from pairs_platform.defs.models.assets import parameter_search
from pairs_platform.defs.research.assets import pair_universe
from pairs_platform.defs.shared.resources import MLflowResource, ParallelResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.parallel import BROKER_ENV, QUEUE_ENV, RESULT_BACKEND_ENV, CeleryBackend
from pairs_platform_tests.parallel.same import assert_same_schedule

STRATEGY = StrategyResource(formation_days=250, trading_days=120, group_by="sector")
VARYING = {"screening_seconds", "screened_on", "searched_on", "mlflow_parent_run_id"}
"""Metadata that may differ between two runs: timings, where chunks ran, run ids."""


@pytest.fixture(scope="module")
def inputs(market):
    """(price panel, instrument table) of the planted-pairs market: walk j and partner j share sector j % 2."""
    prices, _ = market
    sector = {c: f"S{int(c[-3:]) % 2}" for c in prices.columns}
    table = pd.DataFrame({"asset_class": "equity", "sector": [sector[c] for c in prices.columns], "lot_size": 1.0,
                          "multiplier": 1.0, "shortable": True, "borrow_fee_bps": 25.0},
                         index=pd.Index(prices.columns, name="instrument_id"))
    return prices, table


def _stub(name: str, value):
    @dg.asset(name=name)
    def stub():
        return value
    return stub


def _materialize(asset, parallel: ParallelResource, inputs: dict, **resources):
    """(value, metadata) of ``asset`` materialized by Dagster with ``inputs`` as its upstream assets."""
    result = dg.materialize_to_memory([asset, *(_stub(k, v) for k, v in inputs.items())],
                                      resources={"strategy": STRATEGY, "parallel": parallel, **resources})
    assert result.success
    name = asset.key.to_user_string()
    metadata = result.asset_materializations_for_node(name)[0].metadata
    return result.output_for_node(name), metadata


def _universe(parallel, inputs):
    """pair_universe over a fresh data dir: an empty screening memo, so every window is screened on
    ``parallel`` (a kept window would not reach the backend)."""
    prices, table = inputs
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory() as data:
        patch.setenv("PAIRS_DATA_DIR", data)
        value, metadata = _materialize(pair_universe, parallel, {"price_panel": prices, "instruments": table})
    assert metadata["windows_reused"].value == 0
    return value, metadata


def _stable(metadata: dict) -> dict:
    return {k: v for k, v in metadata.items() if k not in VARYING}


@pytest.fixture(scope="module")
def single(inputs):
    """pair_universe without a backend (``ParallelResource()``: the single-process path)."""
    assert ParallelResource().get() is None
    return _universe(ParallelResource(), inputs)


def _assert_same_universe(fanned, single):
    schedule, metadata = single
    assert len(schedule) > 0 and metadata["windows"].value >= 3 and metadata["tests_run"].value > 0
    assert_same_schedule(fanned[0], schedule)
    assert _stable(fanned[1]) == _stable(metadata)  # tests run, expected false discoveries, funnel table


def test_pair_universe_on_a_process_pool_equals_the_single_process_one(inputs, single):
    fanned = _universe(ParallelResource(backend="local", processes=2), inputs)
    assert fanned[1]["screened_on"].value == "a local pool of 2 processes"
    _assert_same_universe(fanned, single)


def test_pair_universe_on_celery_workers_equals_the_single_process_one(inputs, single, celery_backend, monkeypatch):
    monkeypatch.setenv(BROKER_ENV, celery_backend.broker_url)
    monkeypatch.setenv(RESULT_BACKEND_ENV, celery_backend.result_backend)
    monkeypatch.setenv(QUEUE_ENV, celery_backend.queue)  # the workers' private queue: no other consumer
    resource = ParallelResource(backend="celery")
    backend = resource.get()
    assert isinstance(backend, CeleryBackend) and backend.queue == celery_backend.queue
    fanned = _universe(resource, inputs)
    assert fanned[1]["screened_on"].value == "Celery chunk workers"
    _assert_same_universe(fanned, single)


def test_celery_chunks_can_be_awaited_from_inside_a_celery_task(inputs, single, celery_backend):
    """A Dagster step on a dagster-celery worker is itself a Celery task: waiting on chunk workers
    must not raise Celery's 'Never call result.get() within a task!'."""
    from pairs_platform.defs.research.assets import formation_selector
    from pairs_platform.pairs.schedule import build_pair_schedule, walk_forward_windows

    prices, table = inputs
    windows = walk_forward_windows(prices.index, 250, 120)
    with denied_join_result():  # what a prefork worker child sets for its tasks
        schedule = build_pair_schedule(prices, windows, formation_selector(STRATEGY.config(), table),
                                       backend=celery_backend, n_chunks=2)
    assert_same_schedule(schedule, single[0])


def test_parameter_search_with_a_backend_equals_the_single_process_one(inputs, single, tmp_path, monkeypatch):
    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    prices, table = inputs
    upstream = {"price_panel": prices, "pair_universe": single[0], "instruments": table}
    runs = {}
    for name, parallel in (("single", ParallelResource()), ("pool", ParallelResource(processes=2))):
        mlflow = MLflowResource(tracking_uri=f"sqlite:///{tmp_path / f'{name}.db'}")
        runs[name] = _materialize(parameter_search, parallel, upstream, mlflow=mlflow)
    (trials, metadata), (fanned, fanned_metadata) = runs["single"], runs["pool"]
    assert len(trials) == 24 and trials.notna().any().all()  # the default 3 x 2 x 2 x 2 grid: 2 chunks of 16
    pd.testing.assert_frame_equal(fanned, trials, check_exact=True)
    assert _stable(fanned_metadata) == _stable(metadata)
    assert fanned_metadata["searched_on"].value == "a local pool of 2 processes"


def test_the_parallel_resource_is_configured_by_the_environment(monkeypatch):
    def describe(parallel: ParallelResource) -> str:
        return parallel.describe()

    probe = dg.asset(name="probe")(describe)
    monkeypatch.setenv("PAIRS_PARALLEL_BACKEND", "local")
    monkeypatch.setenv("PAIRS_PARALLEL_PROCESSES", "3")
    result = dg.materialize_to_memory([probe], resources={"parallel": build_resources()["parallel"]})
    assert result.output_for_node("probe") == "a local pool of 3 processes"
    monkeypatch.delenv("PAIRS_PARALLEL_BACKEND")
    monkeypatch.delenv("PAIRS_PARALLEL_PROCESSES")
    assert build_resources()["parallel"].get() is None  # unset: the single-process path
    with pytest.raises(ValueError, match="one of"):
        ParallelResource(backend="spark").get()
    with pytest.raises(ValueError, match="PAIRS_PARALLEL_PROCESSES"):
        ParallelResource(processes=0).get()
