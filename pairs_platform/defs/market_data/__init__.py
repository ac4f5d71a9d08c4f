"""Market data: instruments, raw prices per asset class, cleaned prices and the research price panel."""
