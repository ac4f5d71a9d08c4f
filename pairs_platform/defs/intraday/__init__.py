"""Intraday: bars per session, session targets from the intraday backtest, paper orders per bar."""
