"""The desk API's settings, from the environment only.

- ``PAIRS_DATA_DIR`` (default ``./.data``): local platform state;
- ``PAIRS_ASSET_STORE`` (default ``$PAIRS_DATA_DIR/assets``): the Parquet asset store;
- ``PAIRS_LEDGER_URL`` (default ``sqlite:///$PAIRS_DATA_DIR/ledger.db``): the SQL ledger (alerts go there too);
- ``PAIRS_API_TOKEN``: bearer token of the write endpoints (unset: they are disabled);
- ``PAIRS_CAPITAL`` (default: the backtest's default capital): the denominator of exposure fractions;
- ``MLFLOW_TRACKING_URI`` (default: ``$PAIRS_DATA_DIR/mlflow/mlflow.db`` if it exists).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from pairs_platform.backtest.results import BacktestResult

DEFAULT_CAPITAL = float(next(f.default for f in dataclasses.fields(BacktestResult) if f.name == "capital"))
MODEL_NAME = "pairs_entry_filter"  # TODO(coordinator): share with MLflowResource.registered_model


@dataclass(frozen=True)
class ApiSettings:
    """Where the desk's state lives and how the write endpoints are protected."""

    data_dir: Path
    asset_store: Path
    ledger_url: str
    api_token: str
    capital: float
    mlflow_uri: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ApiSettings":
        """Read the settings from ``env`` (default ``os.environ``)."""
        env = os.environ if env is None else env
        data_dir = Path(env.get("PAIRS_DATA_DIR") or ".data").resolve()
        raw_capital = env.get("PAIRS_CAPITAL", "").strip()
        try:
            capital = float(raw_capital) if raw_capital else DEFAULT_CAPITAL
        except ValueError as exc:
            raise ValueError(f"PAIRS_CAPITAL={raw_capital!r} must be a number of dollars, e.g. 1000000") from exc
        if not capital > 0:
            raise ValueError(f"PAIRS_CAPITAL={capital} must be > 0")
        mlflow_db = data_dir / "mlflow" / "mlflow.db"
        return cls(
            data_dir=data_dir,
            asset_store=Path(env.get("PAIRS_ASSET_STORE") or data_dir / "assets"),
            ledger_url=env.get("PAIRS_LEDGER_URL") or f"sqlite:///{data_dir / 'ledger.db'}",
            api_token=env.get("PAIRS_API_TOKEN", "").strip(),
            capital=capital,
            mlflow_uri=env.get("MLFLOW_TRACKING_URI") or (f"sqlite:///{mlflow_db}" if mlflow_db.exists() else ""),
        )
