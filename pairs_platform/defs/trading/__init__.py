"""Trading: signals, the walk-forward backtest, target positions and the performance report."""
