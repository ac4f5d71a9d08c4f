"""Parameters of the synthetic market: independent random walks and planted cointegrated pairs.

Every latent path lives on the calendar-day grid (so weekday-only instruments see a larger
Monday move, like real markets); annual drift/vol are converted with 365 days a year. A planted
pair sets ``log y = alpha + beta * log x + s`` with ``s`` an AR(1) on calendar days whose half-life,
measured in trading days, is ``half_life``, and stationary standard deviation ``spread_std``.
For futures the relation holds on the continuous (roll-free) price; the traded front contract adds a
small per-contract basis. For bonds the price is ``100 * exp(-duration * (yield - yield0))``.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WalkSpec:
    """An independent instrument: log price (or, for bonds, log yield) random walk."""

    p0: float  # starting price (bonds: starting yield, decimal)
    drift: float  # annual log drift (bonds: 0)
    vol: float  # annual volatility of log price (bonds: of log yield)
    factor: str  # common factor name
    loading: float  # correlation with the factor, in [0, 1)


@dataclass(frozen=True)
class PlantedSpec:
    """A planted cointegrated y: ``log y = alpha + beta * log x + s`` (``alpha`` from ``p0``)."""

    x: str
    beta: float
    half_life: float  # trading days
    spread_std: float  # stationary std of s (log units)
    p0: float  # starting price of y (bonds: starting yield of y)


#: Independent walks (the "x" legs and the unrelated instruments).
WALKS: dict[str, WalkSpec] = {
    "EQ:SYNA": WalkSpec(40.0, 0.07, 0.28, "equity", 0.5),
    "EQ:SYNC": WalkSpec(25.0, 0.06, 0.32, "equity", 0.5),
    "EQ:SYNF": WalkSpec(60.0, 0.05, 0.22, "equity", 0.5),
    "FUT:ES": WalkSpec(350.0, 0.07, 0.18, "equity", 0.6),
    "FUT:CL": WalkSpec(22.0, 0.02, 0.35, "commodity", 0.5),
    "FUT:GC": WalkSpec(400.0, 0.03, 0.15, "commodity", 0.2),
    "FI:UST2Y": WalkSpec(0.078, 0.0, 0.15, "rates", 0.8),
    "FI:UST5Y": WalkSpec(0.080, 0.0, 0.15, "rates", 0.8),
    "FI:UST10Y": WalkSpec(0.081, 0.0, 0.15, "rates", 0.8),
    "FI:UST30Y": WalkSpec(0.083, 0.0, 0.15, "rates", 0.8),
    "FI:TIPS10Y": WalkSpec(0.040, 0.0, 0.15, "rates", 0.6),
    "CRYPTO:BTC-USD": WalkSpec(300.0, 0.15, 0.75, "crypto", 0.6),
    "CRYPTO:LTC-USD": WalkSpec(4.0, 0.05, 0.90, "crypto", 0.6),
    "CRYPTO:SOL-USD": WalkSpec(1.0, 0.05, 1.00, "crypto", 0.6),
    "CRYPTO:XRP-USD": WalkSpec(0.05, 0.05, 0.90, "crypto", 0.6),
}

#: Planted cointegrated instruments, keyed by y (x legs are always in ``WALKS``).
PLANTED: dict[str, PlantedSpec] = {
    "EQ:SYNB": PlantedSpec("EQ:SYNA", 1.0, 5.0, 0.04, 55.0),
    "EQ:SYND": PlantedSpec("EQ:SYNC", 0.8, 10.0, 0.05, 30.0),
    "FUT:NQ": PlantedSpec("FUT:ES", 1.2, 8.0, 0.04, 200.0),
    "FUT:HO": PlantedSpec("FUT:CL", 1.0, 6.0, 0.05, 0.6),
    "CRYPTO:ETH-USD": PlantedSpec("CRYPTO:BTC-USD", 1.1, 5.0, 0.08, 20.0),
    "FI:IG5Y": PlantedSpec("FI:UST5Y", 1.0, 10.0, 0.015, 0.090),
    "FUT:ZN": PlantedSpec("FI:UST10Y", 1.0, 4.0, 0.01, 110.0),  # cross-class: futures ~ bond
    "EQ:SYNE": PlantedSpec("CRYPTO:LTC-USD", 0.5, 8.0, 0.06, 35.0),  # cross-class: equity ~ crypto
}

#: Modified duration of each bond (price = 100 * exp(-duration * (yield - yield0))).
DURATION: dict[str, float] = {"FI:UST2Y": 1.9, "FI:UST5Y": 4.4, "FI:UST10Y": 8.0, "FI:UST30Y": 16.0,
                              "FI:TIPS10Y": 9.0, "FI:IG5Y": 4.4}

#: Std of the per-contract log basis of the traded front contract against the continuous price.
FUTURES_BASIS_STD: dict[str, float] = {"FUT:ES": 0.004, "FUT:NQ": 0.004, "FUT:CL": 0.015,
                                       "FUT:HO": 0.015, "FUT:GC": 0.006, "FUT:ZN": 0.003}

#: Typical daily volume by asset class (units traded).
BASE_VOLUME: dict[str, float] = {"equity": 2e6, "future": 1e5, "fixed_income": 5e4, "crypto": 2e4}

#: Annual volatility of the intraday range around the close, by asset class.
INTRADAY_VOL: dict[str, float] = {"equity": 0.25, "future": 0.2, "fixed_income": 0.05, "crypto": 0.7}
