"""Errors of the execution package and the live-trading guard."""
from __future__ import annotations


class ExecutionInputError(ValueError):
    """Bad input to the execution layer (unknown instrument, NaN target, bad price, ...).

    The message always names the instrument / date / field at fault and says how to fix it.
    """


class LedgerSchemaError(RuntimeError):
    """The ledger database holds a schema this code cannot use (e.g. written by newer code)."""


class LiveTradingDisabled(RuntimeError):
    """Raised when a live order path is used without live trading being explicitly enabled."""


def ensure_live_enabled(flag: bool) -> None:
    """Refuse to go on unless live trading was explicitly enabled.

    ``flag`` must be the boolean ``True`` itself (not a truthy string such as ``"false"``),
    so a mis-typed configuration value can never switch live trading on by accident.
    """
    if flag is not True:
        raise LiveTradingDisabled(
            "live trading is disabled: orders would reach a real broker account. "
            "Enable it explicitly (e.g. live_enabled=True in the live execution job's config, "
            f"sourced from an environment variable) only when you mean it; got {flag!r}."
        )
