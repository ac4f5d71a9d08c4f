"""Where local platform state lives (Parquet store, ledger, MLflow): one definition for core and defs."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping


def data_dir(env: Mapping[str, str] | None = None) -> Path:
    """Root of local platform state: ``$PAIRS_DATA_DIR`` or ``./.data`` (resolved, not created)."""
    environ = os.environ if env is None else env
    return Path(environ.get("PAIRS_DATA_DIR", "") or ".data").resolve()
