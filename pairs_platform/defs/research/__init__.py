"""Research: the walk-forward pair universe, spreads, ML features and market regimes."""
