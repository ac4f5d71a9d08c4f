"""Validation of rebalance inputs: target units and reference prices per instrument."""
from __future__ import annotations

import datetime as dt
from typing import Mapping

import numpy as np
import pandas as pd

from pairs_platform.execution.errors import ExecutionInputError

from pairs_platform.identifiers import INSTRUMENT_ID_PATTERN  # noqa: E402


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def _context(strategy_id: str, day: dt.date) -> str:
    return f"strategy {strategy_id!r}, as_of {day}"


def _check_ids(ids: pd.Index, where: str, instruments: pd.DataFrame | None) -> None:
    bad_format = [i for i in ids if not (isinstance(i, str) and INSTRUMENT_ID_PATTERN.match(i))]
    if bad_format:
        raise ExecutionInputError(
            f"{where}: instrument ids {bad_format[:5]} are not of the form CLASS:SYMBOL with "
            "CLASS in EQ, FUT, FI, CRYPTO (e.g. 'EQ:KO'); index targets by instrument_id")
    duplicated = ids[ids.duplicated()].unique().tolist()
    if duplicated:
        raise ExecutionInputError(
            f"{where}: instruments {duplicated[:5]} appear more than once in targets; "
            "sum the legs per instrument first (targets.groupby(level=0).sum())")
    if instruments is not None:
        unknown = sorted(set(ids) - set(instruments.index))
        if unknown:
            raise ExecutionInputError(
                f"{where}: unknown instruments {unknown[:5]} (not in the instrument table); "
                "add them to the instrument table (pairs_platform.data.instruments) or drop "
                "them from targets")


def validate_targets(targets: pd.Series, strategy_id: str, day: dt.date,
                     instruments: pd.DataFrame | None = None) -> pd.Series:
    """Check ``targets`` (instrument_id -> units) and return it as float64, sorted by id."""
    where = _context(strategy_id, day)
    if not isinstance(targets, pd.Series):
        raise ExecutionInputError(
            f"{where}: targets must be a pd.Series instrument_id -> target units, got "
            f"{type(targets).__name__}; e.g. frame.set_index('instrument_id')['target_units']")
    _check_ids(targets.index, where, instruments)
    values = pd.to_numeric(targets, errors="coerce").astype("float64")
    bad = values.index[~np.isfinite(values.to_numpy())].tolist()
    if bad:
        shown = ", ".join(f"{i}={_show(targets[i])}" for i in bad[:5])
        raise ExecutionInputError(
            f"{where}: target units {shown} are not finite numbers; pass 0 to go flat in "
            "an instrument, or fix the upstream target_positions for that date")
    values.index = pd.Index([str(i) for i in values.index], name="instrument_id")
    return values.sort_index()


def validate_reference_prices(prices: Mapping[str, float] | pd.Series | None,
                              strategy_id: str, day: dt.date) -> dict[str, float]:
    """Check optional reference prices (finite, > 0); return them as a plain dict."""
    if prices is None:
        return {}
    where = _context(strategy_id, day)
    out = {}
    for instrument_id, value in dict(prices.items()).items():
        try:
            price = float(value)
        except (TypeError, ValueError):
            price = float("nan")
        if not (np.isfinite(price) and price > 0):
            raise ExecutionInputError(
                f"{where}: reference price for {instrument_id} is {value!r}; pass a finite "
                "close > 0 or leave the instrument out of reference_prices")
        out[str(instrument_id)] = price
    return out
