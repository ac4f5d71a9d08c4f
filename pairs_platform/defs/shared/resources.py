"""Configurable resources: where prices come from, where runs are tracked, where orders go.

Every default runs the embedded demo with no server, no network and no account. Production
endpoints and secrets come from environment variables (``EnvVar``), wired in ``definitions.py``.
"""
from __future__ import annotations


import dagster as dg
from pydantic import Field, PrivateAttr

import pairs_platform.ibkr  # noqa: F401  (registers the 'ib' price-source kind the launchpad may choose)
from pairs_platform.data.sources import SourceSelection
from pairs_platform.defs.shared.launchpad import launchpad_resource
from pairs_platform.identifiers import validate_name
from pairs_platform.parallel import BACKEND_KINDS, Backend, backend_named
from pairs_platform.tracking import TrackingStore
from pairs_platform.tracking.models import ENTRY_FILTER_MODEL
from pairs_platform.tracking.lifecycle import RegistryTarget


from pairs_platform.paths import data_dir  # noqa: E402,F401  (re-exported: one definition, in the core)


PriceSourcesResource = launchpad_resource(SourceSelection, "PriceSourcesResource")
"""Which price source serves each asset class: the launchpad copy of ``data.sources.SourceSelection``."""


class MLflowResource(dg.ConfigurableResource):
    """Our own small MLflow resource (dagster-mlflow pins pandas<3).

    Default: a SQLite tracking store and artifact folder under the local data dir, which also
    gives a model registry. Production: ``MLFLOW_TRACKING_URI`` pointing at the MLflow server.
    """

    tracking_uri: str = Field(default="", description="MLflow tracking URI; empty: SQLite under the data dir "
                                                       "(set MLFLOW_TRACKING_URI for a server).")
    experiment: str = Field(default="pairs_platform", description="MLflow experiment of every run.")
    registered_model: str = Field(default=ENTRY_FILTER_MODEL, description="Model registry name of the entry filter.")

    def resolved_uri(self) -> str:
        """``tracking_uri``, or ``sqlite:///<data dir>/mlflow/mlflow.db`` (folder created) when empty."""
        if self.tracking_uri:
            return self.tracking_uri
        root = data_dir() / "mlflow"
        root.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{root / 'mlflow.db'}"

    def store(self) -> TrackingStore:
        """The core tracking store (validates the experiment and registered-model names)."""
        validate_name(self.registered_model, "MLflowResource.registered_model")
        return TrackingStore(self.resolved_uri(), self.experiment)

    def target(self) -> RegistryTarget:
        """Where the model lifecycle reads and writes: the resolved store and ``registered_model``."""
        validate_name(self.registered_model, "MLflowResource.registered_model")
        return RegistryTarget(self.resolved_uri(), self.registered_model)

    def activate(self) -> str:
        """Point the fluent MLflow API at our store and experiment (created if missing); return its id."""
        return self.store().activate()


class LedgerResource(dg.ConfigurableResource):
    """The SQL trading ledger: SQLite under the data dir by default, PostgreSQL in production."""

    url: str = Field(default="", description="SQLAlchemy URL of the ledger; empty: SQLite under the data dir "
                                             "(set PAIRS_LEDGER_URL for PostgreSQL).")

    def resolved_url(self) -> str:
        """``url``, or the core default ``sqlite:///<data dir>/ledger.db`` when empty."""
        from pairs_platform.execution.ledger import default_ledger_url

        return self.url or default_ledger_url()

    def open(self):
        """A :class:`pairs_platform.execution.Ledger` on the resolved URL (a context manager)."""
        from pairs_platform.execution.ledger import Ledger

        return Ledger(self.resolved_url())


class LiveTradingResource(dg.ConfigurableResource):
    """Interactive Brokers. Deliberately no config fields: live trading is enabled only by the
    environment (``PAIRS_LIVE_TRADING_ENABLED=true`` plus the ``IB_ACCOUNT`` allowlist) and the
    endpoint comes only from ``IB_HOST``/``IB_PORT``/``IB_CLIENT_ID`` (see
    ``pairs_platform.execution.live_guard``), so no run config can switch it on or redirect it."""

    def broker(self, ledger, instruments):
        """The IB broker from the one factory (raises ``LiveTradingDisabled`` unless enabled)."""
        from pairs_platform.execution.factory import make_broker

        return make_broker("ib", ledger, instruments)


class ParallelResource(dg.ConfigurableResource):
    """Where the heavy chunks of an asset run (pair screening, the parameter search; docs/scale.md).

    ``local`` with one process (the default): :meth:`get` is None, the unchanged single-process
    path. ``local`` with ``processes`` > 1: a pool of that many spawned processes on this machine,
    started on first use and closed when the step ends. ``celery``: Celery chunk workers
    (``celery -A pairs_platform.parallel.celery_app worker -Q pairs_parallel``) behind
    ``PAIRS_CELERY_BROKER_URL`` (results ``PAIRS_CELERY_RESULT_BACKEND``, queue
    ``PAIRS_CELERY_QUEUE``). Deployments set ``PAIRS_PARALLEL_BACKEND`` and
    ``PAIRS_PARALLEL_PROCESSES`` (see ``definitions.py``). Results equal the single-process ones.
    """

    backend: str = Field(default="local", description=f"One of {BACKEND_KINDS}: 'local' (this machine) or "
                                                      "'celery' (chunk workers; set PAIRS_PARALLEL_BACKEND).")
    processes: int = Field(default=1, description="Local processes for backend 'local' (1: in the step's own "
                                                  "process, no fan-out; set PAIRS_PARALLEL_PROCESSES).")
    _backend: Backend | None = PrivateAttr(default=None)

    def get(self) -> Backend | None:
        """The backend for ``build_pair_schedule(..., backend=)`` / ``grid_search(..., backend=)``, or
        None for the single-process path; one per step, closed in :meth:`teardown_after_execution`."""
        if self.backend == "local" and self.processes <= 1:
            if self.processes < 1:
                raise ValueError(f"ParallelResource.processes must be >= 1, got {self.processes} "
                                 "(PAIRS_PARALLEL_PROCESSES)")
            return None
        if self._backend is None:
            self._backend = backend_named(self.backend, self.processes)
        return self._backend

    def describe(self) -> str:
        """Where :meth:`get` runs the chunks, for run metadata."""
        if self.backend == "celery":
            return "Celery chunk workers"
        return "this process" if self.processes <= 1 else f"a local pool of {self.processes} processes"

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        """Closes the local process pool :meth:`get` started, if any."""
        if self._backend is not None:
            self._backend.close()
            self._backend = None
