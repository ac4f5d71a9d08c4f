"""Reporting: tear sheets, plots and run summaries (pure core)."""
