"""The desk API's settings, from the environment only.

- ``PAIRS_DATA_DIR`` (default ``./.data``, :func:`pairs_platform.paths.data_dir`): local platform state;
- ``PAIRS_ASSET_STORE`` (default ``$PAIRS_DATA_DIR/assets``): the asset store (:class:`~pairs_platform.store.AssetStore`);
- ``PAIRS_LEDGER_URL`` (default ``sqlite:///$PAIRS_DATA_DIR/ledger.db``,
  :func:`~pairs_platform.execution.ledger.default_ledger_url`): the SQL ledger (alerts go there too);
- ``PAIRS_API_TOKEN``: bearer token of the write endpoints (unset: they are disabled);
- ``MLFLOW_TRACKING_URI`` (default: ``$PAIRS_DATA_DIR/mlflow/mlflow.db`` if it exists).

Capital and the strategy id are those of the strategy configuration in effect,
:func:`pairs_platform.strategy.load_strategy_config` (``PAIRS_STRATEGY_FILE``, else the defaults): the
same call the Dagster definitions build their ``strategy`` resource with. The model name is the
registry's (:data:`pairs_platform.tracking.models.ENTRY_FILTER_MODEL`): never set twice.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from pairs_platform.execution.ledger import default_ledger_url
from pairs_platform.paths import data_dir
from pairs_platform.strategy import StrategyConfig, load_strategy_config
from pairs_platform.tracking.models import ENTRY_FILTER_MODEL

MODEL_NAME = ENTRY_FILTER_MODEL  # re-exported for the desk: the one registry name


@dataclass(frozen=True)
class ApiSettings:
    """Where the desk's state lives, the strategy it shows, and how the write endpoints are protected."""

    data_dir: Path
    asset_store: Path
    ledger_url: str
    api_token: str
    mlflow_uri: str
    strategy: StrategyConfig

    @property
    def capital(self) -> float:
        """The strategy's capital (``StrategyConfig.capital``): denominator of exposure fractions and P&L %."""
        return self.strategy.capital

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None,
                 strategy: StrategyConfig | None = None) -> "ApiSettings":
        """Read the settings from ``env`` (default ``os.environ``); ``strategy`` defaults to the
        configuration in effect, ``load_strategy_config(env)`` (what the Dagster definitions use)."""
        env = os.environ if env is None else env
        root = data_dir(env)
        mlflow_db = root / "mlflow" / "mlflow.db"
        return cls(
            data_dir=root,
            asset_store=Path(env.get("PAIRS_ASSET_STORE") or root / "assets"),
            ledger_url=default_ledger_url(env),
            api_token=env.get("PAIRS_API_TOKEN", "").strip(),
            mlflow_uri=env.get("MLFLOW_TRACKING_URI") or (f"sqlite:///{mlflow_db}" if mlflow_db.exists() else ""),
            strategy=strategy or load_strategy_config(env),
        )
