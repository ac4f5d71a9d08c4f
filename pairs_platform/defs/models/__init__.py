"""Models: the ML entry filter and the walk-forward parameter search (both tracked in MLflow)."""
