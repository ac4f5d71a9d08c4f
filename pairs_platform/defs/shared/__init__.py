"""Pieces every domain of the Dagster layer shares: resources, the strategy resource, partitions, metadata."""
