"""Research scripts that combine the core stages end to end (e.g. the Gatev replication)."""
