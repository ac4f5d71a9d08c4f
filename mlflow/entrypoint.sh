#!/bin/sh
# Migrates the PostgreSQL store to this MLflow's schema, then serves. Settings from the environment:
#   MLFLOW_BACKEND_STORE_URI   postgresql+psycopg2://user:password@postgres:5432/mlflow (required)
#   MLFLOW_ARTIFACTS_DESTINATION   where the server keeps artifacts (default /mlflow/artifacts, a volume)
#   MLFLOW_ALLOWED_HOSTS       Host headers accepted (DNS-rebinding guard): the compose service name
#                              and the published address, e.g. mlflow,mlflow:5000,localhost:5000
#   MLFLOW_WORKERS             server processes (default 2)
#   MLFLOW_HOST / MLFLOW_PORT  listening address (default 0.0.0.0:5000)
# The deploy test runs this same script natively on loopback (pairs_platform_tests/deploy).
set -eu
: "${MLFLOW_BACKEND_STORE_URI:?set MLFLOW_BACKEND_STORE_URI (postgresql+psycopg2://user:password@host:5432/mlflow)}"
: "${MLFLOW_ALLOWED_HOSTS:?set MLFLOW_ALLOWED_HOSTS (e.g. mlflow,mlflow:5000,localhost:5000)}"

mlflow db upgrade "$MLFLOW_BACKEND_STORE_URI"
exec mlflow server \
  --backend-store-uri "$MLFLOW_BACKEND_STORE_URI" \
  --serve-artifacts \
  --artifacts-destination "${MLFLOW_ARTIFACTS_DESTINATION:-/mlflow/artifacts}" \
  --host "${MLFLOW_HOST:-0.0.0.0}" --port "${MLFLOW_PORT:-5000}" \
  --workers "${MLFLOW_WORKERS:-2}" \
  --allowed-hosts "$MLFLOW_ALLOWED_HOSTS" \
  "$@"
