"""Execution: paper and live orders of each session, and the sensor that launches paper trading."""
