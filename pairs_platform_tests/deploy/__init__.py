"""Deployment tests: the production topology started as native processes on loopback."""
