"""Pure mapping between our instruments and IB contracts (no ib library, no orders needed).

- Equities: ``STK`` on ``SMART`` (``BRK.B`` -> ``BRK B``).
- Futures: ``FUT`` on the instrument table's exchange, for a dated contract: the month comes from an
  explicit ``contract_month`` or from the table's ``roll_rule`` (the front contract on ``as_of``,
  :func:`pairs_platform.data.futures.front_contract`), with IB's local symbol (``CLG4`` for
  ``CLG2024``).
- Crypto: ``CRYPTO`` on ``PAXOS``.
- Fixed income and unknown classes are refused with the instrument and the reason.

The order side of the mapping (lots, ticks, order fields) is ``execution.ib_contracts``.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import pandas as pd

from pairs_platform.data.futures import front_contract
from pairs_platform.data.instruments import MONTH_CODES

CRYPTO_EXCHANGE = "PAXOS"


class IBContractError(ValueError):
    """An instrument IB cannot be given a contract for; the message names it and the fix."""


@dataclass(frozen=True)
class IBContractSpec:
    """Fields of an IB ``Contract`` (names as IB spells them)."""

    secType: str
    symbol: str
    exchange: str
    currency: str
    lastTradeDateOrContractMonth: str = ""
    multiplier: str = ""
    localSymbol: str = ""

    def kwargs(self) -> dict[str, str]:
        """Keyword arguments for ``ib_async.Contract`` (empty fields left out)."""
        return {k: v for k, v in asdict(self).items() if v != ""}


def split_id(instrument_id: str) -> tuple[str, str]:
    """``("FUT", "CL")`` for ``"FUT:CL"``; raises for ids that are not CLASS:SYMBOL."""
    prefix, sep, symbol = instrument_id.partition(":")
    if not sep or not symbol:
        raise IBContractError(
            f"instrument id {instrument_id!r} is not CLASS:SYMBOL (e.g. 'EQ:KO', 'FUT:CL')")
    return prefix, symbol


def instrument_row(instrument_id: str, instruments: pd.DataFrame | None) -> Mapping[str, Any]:
    """The instrument table's row as a dict ({} without a table or row)."""
    if instruments is None or instrument_id not in instruments.index:
        return {}
    return {k: v for k, v in instruments.loc[instrument_id].to_dict().items()
            if not (isinstance(v, float) and math.isnan(v)) and v is not pd.NA}


def futures_month(instrument_id: str, roll_rule: str, as_of: object) -> tuple[str, str]:
    """``(YYYYMM, local symbol)`` of the front contract on ``as_of`` under ``roll_rule``."""
    symbol = split_id(instrument_id)[1]
    code = str(front_contract([pd.Timestamp(as_of)], symbol, roll_rule)[0])  # e.g. CLG2024
    month, year = MONTH_CODES.index(code[len(symbol)]) + 1, code[len(symbol) + 1:]
    return f"{year}{month:02d}", f"{symbol}{code[len(symbol)]}{year[-1]}"


def _futures_spec(instrument_id: str, symbol: str, row: Mapping[str, Any], currency: str,
                  contract_month: str | None, as_of: object | None) -> IBContractSpec:
    exchange = str(row.get("exchange") or "")
    if not exchange:
        raise IBContractError(
            f"{instrument_id}: IB futures need the exchange from the instrument table; "
            "pass instruments= with an 'exchange' for this id")
    local = ""
    if not contract_month and row.get("roll_rule") and as_of is not None:
        contract_month, local = futures_month(instrument_id, str(row["roll_rule"]), as_of)
    if not contract_month:
        raise IBContractError(
            f"{instrument_id}: IB needs the contract month of the future to trade; give the "
            "instrument table a roll_rule (front contract on the order's date) or pass "
            f"contract_months={{'{instrument_id}': 'YYYYMM'}} (the contract being held)")
    multiplier = row.get("multiplier")
    mult = "" if multiplier is None else f"{float(multiplier):g}"
    return IBContractSpec("FUT", symbol, exchange, currency, str(contract_month), mult, local)


def contract_spec(instrument_id: str, instruments: pd.DataFrame | None = None,
                  contract_month: str | None = None, as_of: object | None = None) -> IBContractSpec:
    """IB contract for an instrument id: STK/SMART, FUT (dated) on its exchange, CRYPTO/PAXOS.

    Raises :class:`IBContractError` naming the instrument and why IB cannot trade it.
    """
    prefix, symbol = split_id(instrument_id)
    row = instrument_row(instrument_id, instruments)
    symbol = str(row.get("symbol") or symbol)
    currency = str(row.get("currency") or "USD")
    if prefix == "EQ":
        return IBContractSpec("STK", symbol.replace(".", " "), "SMART", currency)
    if prefix == "FUT":
        return _futures_spec(instrument_id, symbol, row, currency, contract_month, as_of)
    if prefix == "CRYPTO":
        base, _, quote = symbol.partition("-")
        return IBContractSpec("CRYPTO", base, CRYPTO_EXCHANGE, quote or currency)
    raise IBContractError(
        f"{instrument_id}: asset class {prefix!r} cannot be routed to IB by this adapter; "
        "trade fixed income through its futures (e.g. FUT:ZN for 10-year Treasuries)")


def instrument_id_for_contract(contract: Any) -> str:
    """Our instrument id for an IB contract (inverse of :func:`contract_spec`)."""
    sec_type, symbol = contract.secType, str(contract.symbol)
    if sec_type == "STK":
        return f"EQ:{symbol.replace(' ', '.')}"
    if sec_type == "FUT":
        return f"FUT:{symbol}"
    if sec_type == "CRYPTO":
        return f"CRYPTO:{symbol}-{contract.currency}"
    return f"{sec_type}:{symbol}"
