"""Dagster instance plugins named in ``dagster.yaml`` (storage classes).

Kept apart from :mod:`pairs_platform.defs` on purpose: the webserver and the daemon construct the
instance without loading the code location, so this package imports dagster and nothing else of
pairs_platform.
"""
