"""MLflow tracking of the platform: one place for the store, the experiment and every logged run.

Pure core (no dagster import). Modules:

- :mod:`~pairs_platform.tracking.store`: the tracking store's URI and artifact folder, the one
  get-or-create-experiment helper and the finite-metrics filter every logger uses.
- :mod:`~pairs_platform.tracking.backtest`: one run per backtest (parameters, metrics, tear sheet).
- :mod:`~pairs_platform.tracking.search`: a walk-forward parameter search (parent + child runs).
- :mod:`~pairs_platform.tracking.models`: the ML entry filter's runs and model registry.
"""
from pairs_platform.tracking.store import TrackingStore, ensure_experiment, finite_metrics

__all__ = ["TrackingStore", "ensure_experiment", "finite_metrics"]
