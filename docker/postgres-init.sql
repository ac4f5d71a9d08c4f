-- First start of the PostgreSQL volume: one database per store (POSTGRES_DB creates "dagster").
CREATE DATABASE mlflow;
CREATE DATABASE ledger;
