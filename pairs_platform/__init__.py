"""pairs_platform: statistical-arbitrage pairs trading, from prices to orders, as a Dagster asset graph.

The platform makes no network call of its own at run time; MLflow's usage telemetry (on by default
in MLflow 3) is switched off unless the user sets ``MLFLOW_DISABLE_TELEMETRY`` explicitly.
"""
import os

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
