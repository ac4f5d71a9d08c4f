"""Errors of the execution package. The live-trading guard is in :mod:`live_guard`."""
from __future__ import annotations


class ExecutionInputError(ValueError):
    """Bad input to the execution layer (unknown instrument, NaN target, bad price, ...).

    The message always names the instrument / date / field at fault and says how to fix it.
    """


class LedgerSchemaError(RuntimeError):
    """The ledger database holds a schema this code cannot use (e.g. written by newer code)."""


class LiveTradingDisabled(RuntimeError):
    """Raised when a live order path is used without live trading being enabled by the environment."""
