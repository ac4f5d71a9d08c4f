"""Operations: alerts wired into Dagster (run failures, failed asset checks, stale prices, trading-state
changes and drawdown breaches), each sent through ``pairs_platform.alerts`` and recorded in the ledger's
``alerts`` table (the desk's dashboard shows them)."""
