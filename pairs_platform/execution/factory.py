"""One place that builds a broker: ``make_broker("paper" | "ib", ledger, instruments, costs)``.

The IB path takes its connection settings from the environment only (``IB_HOST``, ``IB_PORT``,
``IB_CLIENT_ID``; allowlist ``IB_ACCOUNT``) and checks the live guard before building anything;
the reported account is checked after connecting, before the first order (see :class:`IBBroker`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import pandas as pd

from pairs_platform.execution.broker import Broker
from pairs_platform.execution.errors import ExecutionInputError
from pairs_platform.execution.ledger import Ledger
from pairs_platform.execution.live_guard import ensure_live_enabled
from pairs_platform.execution.paper import PaperBroker
from pairs_platform.ibkr.client import ib_settings_from_env

BROKER_KINDS = ("paper", "ib")


@dataclass(frozen=True)
class PaperCosts:
    """Paper broker costs: commission per unit (minimum per order) and slippage in basis points."""

    commission_per_unit: float = 0.005
    min_commission: float = 1.0
    slippage_bps: float = 5.0


def make_broker(kind: str, ledger: Ledger, instruments: pd.DataFrame | None = None,
                costs: PaperCosts = PaperCosts(), *,
                contract_months: Mapping[str, str] | None = None) -> Broker:
    """The broker of ``kind``: ``"paper"`` (fills in ``ledger``) or ``"ib"`` (live, guarded).

    Raises :class:`~pairs_platform.execution.errors.LiveTradingDisabled` for ``"ib"`` unless the
    environment enables live trading (checked here, before any connection).
    """
    if kind == "paper":
        return PaperBroker(ledger, costs.commission_per_unit, costs.min_commission,
                           costs.slippage_bps, instruments=instruments)
    if kind == "ib":
        ensure_live_enabled()
        from pairs_platform.execution.ib import IBBroker

        return IBBroker(ledger, instruments=instruments, contract_months=contract_months,
                        settings=ib_settings_from_env())
    raise ExecutionInputError(f"broker kind {kind!r} is unknown; use one of {BROKER_KINDS}")
