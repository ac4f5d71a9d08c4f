"""Strategy parameters and the cost model of the backtest engine.

Both are frozen dataclasses so a parameter set is hashable, printable and can be logged as-is.
Their numeric encodings for the compiled kernel live in :mod:`pairs_platform.backtest.kernel`.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

ZSCORE_MODES = ("formation", "rolling")
SIZING_MODES = ("equal", "vol_target")
FILL_MODES = ("next_close", "next_open")


@dataclass(frozen=True)
class StrategyParams:
    """Rules and sizing of the z-score pairs strategy.

    Signals are computed at the close of bar t; the orders they cause fill at the next price
    (``fill='next_close'``: close of t+1; ``fill='next_open'``: open of t+1), never at the price
    that produced them.

    - ``entry_z``: open long spread (buy y, sell x) when z <= -entry_z, short spread when z >= entry_z.
    - ``exit_z``: close a long spread when z >= -exit_z, a short one when z <= exit_z (0: the crossing).
    - ``stop_z``: stop out when |z| >= stop_z against the position; no entry beyond it (inf: off).
    - ``zscore``: 'formation' (schedule mean/std) or 'rolling' (trailing ``lookback`` bars ending at t).
    - ``dynamic_hedge``: hedge ratio and z from a trailing OLS of log y on log x over ``lookback``
      bars ending at t (the units are fixed at entry; no rebalancing while a trade is open).
    - ``max_holding_days``: time stop in bars from entry signal (0: off).
    - ``max_holding_halflives``: time stop in multiples of the schedule's half-life (0: off).
    - ``cooldown_days``: after any stop (z, P&L or time), bars before the pair may enter again.
    - ``pnl_stop``: stop when the trade's P&L (net of costs so far) falls below
      -pnl_stop x its entry gross notional (0: off).
    - ``sizing``: 'equal' (gross notional ``pair_capital`` x equity per pair) or 'vol_target'
      (y notional so the spread's P&L has annual volatility ``vol_target`` x equity, estimated from
      daily spread changes over ``vol_lookback`` bars ending at t; capped by the 'equal' size).
    """

    entry_z: float = 2.0
    exit_z: float = 0.0
    stop_z: float = 4.0
    zscore: str = "formation"
    lookback: int = 60
    dynamic_hedge: bool = False
    max_holding_days: int = 0
    max_holding_halflives: float = 0.0
    cooldown_days: int = 5
    pnl_stop: float = 0.0
    sizing: str = "equal"
    pair_capital: float = 0.1
    vol_target: float = 0.02
    vol_lookback: int = 60
    fill: str = "next_close"

    def __post_init__(self) -> None:
        _check_choice("zscore", self.zscore, ZSCORE_MODES)
        _check_choice("sizing", self.sizing, SIZING_MODES)
        _check_choice("fill", self.fill, FILL_MODES)
        if not (self.entry_z > 0 and math.isfinite(self.entry_z)):
            raise ValueError(f"StrategyParams.entry_z must be a positive finite number, got {self.entry_z}")
        if not self.exit_z < self.entry_z:
            raise ValueError(f"StrategyParams.exit_z ({self.exit_z}) must be below entry_z ({self.entry_z})")
        if not self.stop_z > self.entry_z:
            raise ValueError(f"StrategyParams.stop_z ({self.stop_z}) must exceed entry_z ({self.entry_z}); "
                             "use float('inf') to switch the z stop off")
        for name in ("lookback", "vol_lookback"):
            if int(getattr(self, name)) < 2:
                raise ValueError(f"StrategyParams.{name} must be >= 2 bars, got {getattr(self, name)}")
        for name in ("max_holding_days", "max_holding_halflives", "cooldown_days", "pnl_stop"):
            if getattr(self, name) < 0:
                raise ValueError(f"StrategyParams.{name} must be >= 0 (0 switches it off), got {getattr(self, name)}")
        if not self.pair_capital > 0:
            raise ValueError(f"StrategyParams.pair_capital must be > 0, got {self.pair_capital}")
        if self.sizing == "vol_target" and not self.vol_target > 0:
            raise ValueError(f"StrategyParams.vol_target must be > 0 with sizing='vol_target', got {self.vol_target}")

    def to_dict(self) -> dict:
        """Plain dict of the fields (for logging)."""
        return asdict(self)

    @classmethod
    def field_names(cls) -> list[str]:
        """Names of all fields, in declaration order."""
        return [f.name for f in fields(cls)]


@dataclass(frozen=True)
class CostModel:
    """Trading costs.

    - commission: ``commission_per_unit`` per share/contract, at least ``min_commission`` per
      order (one order per leg per trade side).
    - slippage: ``slippage_bps`` of the fill price, against the trader on every fill.
    - borrow: the short leg pays an annual fee on its notional, accrued per calendar day held
      (actual/365) on the previous close; the rate is ``borrow_fee_bps`` when given, else each
      instrument's ``borrow_fee_bps`` from the instrument table (``default_borrow_bps`` without one).
    """

    commission_per_unit: float = 0.005
    min_commission: float = 1.0
    slippage_bps: float = 5.0
    borrow_fee_bps: float | None = None
    default_borrow_bps: float = 25.0

    def __post_init__(self) -> None:
        for name in ("commission_per_unit", "min_commission", "slippage_bps", "default_borrow_bps"):
            value = getattr(self, name)
            if not (value >= 0 and math.isfinite(value)):
                raise ValueError(f"CostModel.{name} must be a finite number >= 0, got {value}")
        if self.borrow_fee_bps is not None and not self.borrow_fee_bps >= 0:
            raise ValueError(f"CostModel.borrow_fee_bps must be >= 0 or None, got {self.borrow_fee_bps}")

    @classmethod
    def zero(cls) -> "CostModel":
        """A frictionless cost model (for tests and gross-of-cost comparisons)."""
        return cls(commission_per_unit=0.0, min_commission=0.0, slippage_bps=0.0, borrow_fee_bps=0.0)


def _check_choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ValueError(f"StrategyParams.{name} must be one of {choices}, got {value!r}")
