"""Portfolio risk limits and the reasons an entry can be refused.

The same limits serve the backtest engine (compiled checks in :mod:`pairs_platform.risk.checks`)
and live trading (the plain-Python :func:`pairs_platform.risk.checks.pre_trade_check`).
All exposure limits are fractions of current equity.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

# Refusal reason codes (kernel) and their names (tables). 0 means "accepted".
REFUSE_ML_FILTER = 1
REFUSE_DRAWDOWN_HALT = 2
REFUSE_NO_CAPITAL = 3
REFUSE_MAX_OPEN_PAIRS = 4
REFUSE_NO_VOLATILITY = 5
REFUSE_SIZE_ZERO = 6
REFUSE_NOT_SHORTABLE = 7
REFUSE_GROSS_LIMIT = 8
REFUSE_NET_LIMIT = 9
REFUSE_INSTRUMENT_LIMIT = 10
REFUSE_CLASS_LIMIT = 11

REFUSAL_NAMES = {
    REFUSE_ML_FILTER: "ml_filter",
    REFUSE_DRAWDOWN_HALT: "drawdown_halt",
    REFUSE_NO_CAPITAL: "no_capital",
    REFUSE_MAX_OPEN_PAIRS: "max_open_pairs",
    REFUSE_NO_VOLATILITY: "no_volatility_estimate",
    REFUSE_SIZE_ZERO: "size_rounds_to_zero",
    REFUSE_NOT_SHORTABLE: "not_shortable",
    REFUSE_GROSS_LIMIT: "gross_limit",
    REFUSE_NET_LIMIT: "net_limit",
    REFUSE_INSTRUMENT_LIMIT: "instrument_limit",
    REFUSE_CLASS_LIMIT: "asset_class_limit",
}

# Positions of the limits in the float array the kernel reads.
LIM_GROSS = 0
LIM_NET = 1
LIM_OPEN_PAIRS = 2
LIM_INSTRUMENT = 3
LIM_DRAWDOWN = 4
N_LIMITS = 5

from pairs_platform.identifiers import ASSET_CLASSES  # noqa: E402  (re-exported for the kernels)


@dataclass(frozen=True)
class RiskLimits:
    """Exposure limits checked before every entry (exits are never refused).

    - ``max_gross``: sum over instruments of |net units x price x multiplier| / equity.
    - ``max_net``: |sum over instruments of net units x price x multiplier| / equity.
    - ``max_instrument``: per instrument, sum over the pairs holding it of |leg notional| / equity
      (an instrument that sits in several pairs counts every leg, long or short).
    - ``max_class_gross``: per asset class, gross of that class / equity, e.g. ``{"crypto": 0.5}``.
    - ``max_open_pairs``: open (or entering) pairs at once; None for no limit.
    - ``max_drawdown``: circuit breaker; while equity is at least this fraction below its running
      peak no new entry is taken (open trades run on under their own exits and stops); None: off.
    Use ``math.inf`` (or None where allowed) to switch a limit off.
    """

    max_gross: float = 3.0
    max_net: float = 0.5
    max_instrument: float = 0.5
    max_class_gross: Mapping[str, float] = field(default_factory=dict)
    max_open_pairs: int | None = None
    max_drawdown: float | None = 0.25

    def __post_init__(self) -> None:
        for name in ("max_gross", "max_net", "max_instrument"):
            if not getattr(self, name) > 0:
                raise ValueError(f"RiskLimits.{name} must be > 0 (math.inf switches it off), got {getattr(self, name)}")
        unknown = sorted(set(self.max_class_gross) - set(ASSET_CLASSES))
        if unknown:
            raise ValueError(f"RiskLimits.max_class_gross names unknown asset classes {unknown}; use {ASSET_CLASSES}")
        if self.max_open_pairs is not None and self.max_open_pairs < 1:
            raise ValueError(f"RiskLimits.max_open_pairs must be >= 1 or None, got {self.max_open_pairs}")
        if self.max_drawdown is not None and not 0 < self.max_drawdown <= 1:
            raise ValueError(f"RiskLimits.max_drawdown must be in (0, 1] or None, got {self.max_drawdown}")

    @classmethod
    def none(cls) -> "RiskLimits":
        """No limits at all (for tests and unconstrained research runs)."""
        return cls(max_gross=math.inf, max_net=math.inf, max_instrument=math.inf,
                   max_open_pairs=None, max_drawdown=None)

    def to_array(self) -> np.ndarray:
        """The limits as the float array the compiled kernel reads (inf where off)."""
        out = np.full(N_LIMITS, np.inf)
        out[LIM_GROSS] = self.max_gross
        out[LIM_NET] = self.max_net
        out[LIM_INSTRUMENT] = self.max_instrument
        if self.max_open_pairs is not None:
            out[LIM_OPEN_PAIRS] = float(self.max_open_pairs)
        if self.max_drawdown is not None:
            out[LIM_DRAWDOWN] = self.max_drawdown
        return out

    def class_array(self) -> np.ndarray:
        """Per-asset-class gross limits in the order of ``ASSET_CLASSES`` (inf where none)."""
        return np.array([float(self.max_class_gross.get(c, np.inf)) for c in ASSET_CLASSES])

    def to_dict(self) -> dict:
        """Plain dict (for logging)."""
        return {"max_gross": self.max_gross, "max_net": self.max_net, "max_instrument": self.max_instrument,
                "max_class_gross": dict(self.max_class_gross), "max_open_pairs": self.max_open_pairs,
                "max_drawdown": self.max_drawdown}
