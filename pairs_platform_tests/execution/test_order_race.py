"""Two processes rebalancing the same strategy against one ledger never interleave.

Both workers start each trial together at a barrier and run the same sessions (fill at the new
session's prices, then rebalance), like two overlapping Dagster runs. The per-strategy ledger
lock (``Ledger.strategy_lock``) must make the final ledger -- orders, fills, positions -- equal
the single-process reference in every trial, on SQLite (a fresh file per trial) and on
PostgreSQL (a fresh scratch database, with a fresh schema per trial: dropping 20 databases takes
longer than the race itself). Without the lock the two runs create orders nobody asked for.
"""
from __future__ import annotations

import multiprocessing as mp
import os

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from pairs_platform.execution import Ledger, OrderManager, PaperBroker
from pairs_platform.execution.risk_engine import RiskEngine, RiskEngineConfig
from pairs_platform_tests.pg_support import scratch_database

TRIALS = 20
STRATEGY = "race-s1"
IDS = ["EQ:KO", "EQ:PEP", "EQ:XOM", "CRYPTO:BTC-USD"]
SESSIONS = pd.bdate_range("2024-01-02", periods=5)
_rng = np.random.default_rng(7)
PRICES = pd.DataFrame(_rng.uniform(50, 150, (len(SESSIONS), len(IDS))), index=SESSIONS, columns=IDS)
TARGETS = pd.DataFrame(_rng.integers(-5, 6, (len(SESSIONS), len(IDS))) * 10.0, index=SESSIONS, columns=IDS)
TARGETS.iloc[3, 1] = 0.0  # a name leaves the book and comes back
PG_ADMIN_URL = os.environ.get("PAIRS_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def run_sessions(url: str) -> None:
    """One run over every session: fills at the session's prices, then the rebalance (the two
    workers also race to migrate the empty ledger: the migration has its own lock)."""
    with Ledger(url) as ledger:
        broker = PaperBroker(ledger)
        manager = OrderManager(broker, ledger, RiskEngine(RiskEngineConfig.none()))
        for day in SESSIONS:
            closes = PRICES.loc[day]
            broker.on_prices(day, closes)
            manager.rebalance(STRATEGY, day, TARGETS.loc[day], reference_prices=closes)


def _worker(urls: list[str], barrier, errors) -> None:
    for url in urls:
        barrier.wait(timeout=60)
        try:
            run_sessions(url)
        except Exception as exc:  # reported to the parent, which fails the test
            errors.put(f"{url}: {type(exc).__name__}: {exc}")


def ledger_state(url: str) -> dict:
    """What must not depend on how the runs interleaved."""
    with Ledger(url) as ledger:
        orders = ledger.orders_frame()[["client_order_id", "as_of", "instrument_id", "side", "quantity",
                                        "status", "filled_quantity", "reference_price"]]
        fills = ledger.fills_frame()[["fill_id", "client_order_id", "date", "quantity", "price", "commission"]]
        positions = ledger.positions_frame(include_flat=True)[["strategy_id", "instrument_id", "quantity", "avg_price"]]
    return {"orders": orders, "fills": fills, "positions": positions}


def _race(urls: list[str], reference_url: str) -> None:
    run_sessions(reference_url)
    reference = ledger_state(reference_url)
    assert len(reference["orders"]) > 10 and len(reference["fills"]) > 5
    ctx = mp.get_context("fork")
    barrier, errors = ctx.Barrier(2), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(urls, barrier, errors)) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)
    assert all(w.exitcode == 0 for w in workers), [w.exitcode for w in workers]
    problems = []
    while not errors.empty():
        problems.append(errors.get())
    assert problems == []
    for trial, url in enumerate(urls):
        state = ledger_state(url)
        for name, frame in reference.items():
            pd.testing.assert_frame_equal(state[name], frame, obj=f"trial {trial} {name}")


def test_two_processes_sqlite(tmp_path):
    urls = [f"sqlite:///{tmp_path / f'trial{i}.db'}" for i in range(TRIALS)]
    _race(urls, f"sqlite:///{tmp_path / 'reference.db'}")


@pytest.fixture
def postgres_urls():
    """TRIALS + 1 ledger URLs (plain ``postgresql://``, psycopg 3), each an empty schema of one
    fresh scratch database that is dropped afterwards."""
    with scratch_database(PG_ADMIN_URL, "pairs_race", "the race test") as database:
        scratch = sa.create_engine(database, isolation_level="AUTOCOMMIT")
        schemas = [f"trial{i}" for i in range(TRIALS + 1)]
        with scratch.connect() as conn:
            for schema in schemas:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        scratch.dispose()
        yield [database.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False) for schema in schemas]


def test_two_processes_postgresql(postgres_urls):
    *urls, reference_url = postgres_urls
    assert all(u.startswith("postgresql://") for u in urls)
    _race(urls, reference_url)
