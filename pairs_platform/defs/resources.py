"""Configurable resources: where prices come from, where runs are tracked, where orders go.

Every default runs the embedded demo with no server, no network and no account. Production
endpoints and secrets come from environment variables (``EnvVar``), wired in ``definitions.py``.
"""
from __future__ import annotations

from pathlib import Path

import dagster as dg
import pandas as pd

from pairs_platform.data.instruments import validate_instruments
from pairs_platform.data.sources import make_source
from pairs_platform.paths import data_dir  # noqa: F401  (re-exported; one definition, in the core)

ASSET_CLASSES = ("equity", "future", "fixed_income", "crypto")




class PriceSourcesResource(dg.ConfigurableResource):
    """Which price source serves each asset class ('bundled', 'synthetic' or 'files').

    The default is real daily closes of 20 S&P 500 stocks for equities (bundled) and the seeded
    synthetic generator for the other classes (no real futures, bond or crypto data ships with us).
    """

    equity: str = "bundled"
    future: str = "synthetic"
    fixed_income: str = "synthetic"
    crypto: str = "synthetic"
    synthetic_seed: int = 7
    files_dir: str = ""

    def source_for(self, asset_class: str):
        kind = getattr(self, asset_class)
        options = {"synthetic": {"seed": self.synthetic_seed}, "files": {"path": self.files_dir}}
        if kind == "files" and not self.files_dir:
            raise ValueError(f"asset class {asset_class!r} uses the files source but files_dir is "
                             "empty; set PriceSourcesResource.files_dir to your CSV/Parquet folder")
        return make_source(kind, **options.get(kind, {}))

    def instrument_ids(self, asset_class: str, instruments: pd.DataFrame) -> list[str]:
        """The instruments of this class in the table (built from this class's source)."""
        return list(instruments.index[instruments["asset_class"] == asset_class])

    def instrument_table(self) -> pd.DataFrame:
        """Every instrument the configured sources serve, each from its class's source: the
        packaged metadata for bundled and synthetic data, a files folder's own instruments.csv
        (a file without metadata is an error naming it, never silently skipped)."""
        parts = []
        for asset_class in ASSET_CLASSES:
            table = self.source_for(asset_class).instruments()
            parts.append(table[table["asset_class"] == asset_class])
        return validate_instruments(pd.concat(parts).sort_index())


class MLflowResource(dg.ConfigurableResource):
    """Our own small MLflow resource (dagster-mlflow pins pandas<3).

    Default: a SQLite tracking store and artifact folder under the local data dir, which also
    gives a model registry. Production: ``MLFLOW_TRACKING_URI`` pointing at the MLflow server.
    """

    tracking_uri: str = ""
    experiment: str = "pairs_platform"
    registered_model: str = "pairs_entry_filter"

    def resolved_uri(self) -> str:
        if self.tracking_uri:
            return self.tracking_uri
        root = data_dir() / "mlflow"
        root.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{root / 'mlflow.db'}"

    def artifact_location(self) -> str | None:
        """Artifacts beside a SQLite store (``<db folder>/artifacts``); a server decides its own."""
        uri = self.resolved_uri()
        if not uri.startswith("sqlite:///"):
            return None
        return (Path(uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()

    def activate(self) -> str:
        """Points the mlflow client at our store and experiment; returns the experiment id."""
        import mlflow

        mlflow.set_tracking_uri(self.resolved_uri())
        if mlflow.get_experiment_by_name(self.experiment) is None:
            mlflow.create_experiment(self.experiment, artifact_location=self.artifact_location())
        return mlflow.set_experiment(self.experiment).experiment_id


class LedgerResource(dg.ConfigurableResource):
    """The SQL trading ledger: SQLite under the data dir by default, PostgreSQL in production."""

    url: str = ""

    def resolved_url(self) -> str:
        from pairs_platform.execution.ledger import default_ledger_url

        return self.url or default_ledger_url()

    def open(self):
        from pairs_platform.execution.ledger import Ledger

        return Ledger(self.resolved_url())


class PaperBrokerResource(dg.ConfigurableResource):
    """Paper broker costs: fills at the next price with commission and slippage."""

    commission_per_unit: float = 0.005
    min_commission: float = 1.0
    slippage_bps: float = 5.0

    def broker(self, ledger):
        from pairs_platform.execution.paper import PaperBroker

        return PaperBroker(ledger, commission_per_unit=self.commission_per_unit,
                           min_commission=self.min_commission, slippage_bps=self.slippage_bps)


class LiveTradingResource(dg.ConfigurableResource):
    """Interactive Brokers. Deliberately no config fields: live trading is enabled only by the
    environment (``PAIRS_LIVE_TRADING_ENABLED=true`` plus the ``IB_ACCOUNT`` allowlist) and the
    endpoint comes only from ``IB_HOST``/``IB_PORT``/``IB_CLIENT_ID`` (see
    ``pairs_platform.execution.live_guard``), so no run config can switch it on or redirect it."""

    def broker(self, ledger, instruments):
        from pairs_platform.execution.factory import make_broker

        return make_broker("ib", ledger, instruments)
