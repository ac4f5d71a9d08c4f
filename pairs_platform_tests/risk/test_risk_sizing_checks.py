"""Sizing in whole lots and the pre-trade checks shared with live trading."""
import math

import numpy as np
import pandas as pd
import pytest

from pairs_platform.risk import Account, LiveBook, PairEntry, RiskLimits, pre_trade_check, round_to_lot, size_pair
from pairs_platform.signals.rules import rule_positions


def test_round_to_lot_is_symmetric_nearest():
    assert round_to_lot(149.0, 100.0) == 100.0 and round_to_lot(150.0, 100.0) == 200.0
    assert round_to_lot(-150.0, 100.0) == -200.0 and round_to_lot(0.4, 1.0) == 0.0


def test_equal_capital_sizing_hedges_the_rounded_leg():
    uy, ux = size_pair(1, 1_000_000, 1.5, 40.0, 25.0, lot_x=10, pair_capital=0.1)
    assert uy == round(100_000 / 2.5 / 40.0)  # 1000 shares of y
    assert ux == -round(1.5 * uy * 40.0 / 25.0 / 10) * 10
    uy_s, ux_s = size_pair(-1, 1_000_000, 1.5, 40.0, 25.0, lot_x=10, pair_capital=0.1)
    assert (uy_s, ux_s) == (-uy, -ux)


def test_vol_target_and_multipliers():
    # daily spread vol 1% -> y notional = 0.02 * 1e6 / (0.01 * sqrt(252)), below the equal size 0.5e6 / 2
    uy, _ = size_pair(1, 1e6, 1.0, 100.0, 100.0, sizing="vol_target", vol_target=0.02, spread_vol=0.01, pair_capital=0.5)
    assert uy == round(0.02e6 / (0.01 * math.sqrt(252)) / 100.0)
    uy, _ = size_pair(1, 1e6, 1.0, 100.0, 100.0, sizing="vol_target", vol_target=0.1, spread_vol=0.01, pair_capital=0.5)
    assert uy == 2500.0  # capped by the equal-capital size
    uy, ux = size_pair(1, 1e6, 1.0, 4000.0, 2000.0, mult_y=50, mult_x=50, pair_capital=0.4)
    assert (uy, ux) == (1.0, -2.0)
    with pytest.raises(ValueError, match="spread_vol"):
        size_pair(1, 1e6, 1.0, 10.0, 10.0, sizing="vol_target")


def _book():
    instruments = pd.DataFrame({"multiplier": [1.0, 1.0, 1.0], "asset_class": ["equity", "equity", "crypto"],
                                "shortable": [True, False, True]}, index=["EQ:A", "EQ:B", "CRYPTO:C"])
    prices = pd.Series({"EQ:A": 100.0, "EQ:B": 50.0, "CRYPTO:C": 10.0})
    return instruments, prices


def test_pre_trade_check_reasons():
    inst, px = _book()
    book = LiveBook(pd.Series({"EQ:A": 1000.0, "CRYPTO:C": -5000.0}), px, inst)
    account = Account(equity=1e6, peak_equity=1e6, open_pairs=1)

    def check(y, x, units_y, units_x, limits=RiskLimits(), **changes):
        return pre_trade_check(PairEntry(y, x, units_y, units_x), book, account._replace(**changes), limits)

    assert check("EQ:A", "CRYPTO:C", 100, -1000) is None
    assert check("EQ:A", "EQ:B", 100, -200) == "not_shortable"
    assert check("EQ:A", "CRYPTO:C", 100, -1000, equity=7e5) == "drawdown_halt"
    assert check("EQ:A", "CRYPTO:C", 20000, -200000) == "gross_limit"
    assert check("EQ:A", "CRYPTO:C", 100, -1000, RiskLimits(max_open_pairs=3), open_pairs=3) == "max_open_pairs"
    assert check("EQ:A", "CRYPTO:C", 100, -1000, RiskLimits(max_class_gross={"crypto": 0.05})) == "asset_class_limit"
    assert check("EQ:A", "CRYPTO:C", 3000, -1000, RiskLimits(max_instrument=0.35, max_net=1.0)) == "instrument_limit"
    # an entry that reduces an exposure already above its limit is allowed
    assert check("CRYPTO:C", "EQ:A", 1000, -100, RiskLimits(max_net=0.01)) is None
    with pytest.raises(KeyError, match="EQ:Z"):
        check("EQ:Z", "EQ:A", 1, -1)


def test_rule_positions_state_machine():
    z = np.array([0.0, -2.1, -1.0, 0.1, 2.5, 4.2, 2.5, 2.5, 1.0, -0.1])[:, None]
    sides = rule_positions(z, entry_z=2.0, exit_z=0.0, stop_z=4.0, cooldown_days=1)[:, 0]
    # enter long at 1, exit at crossing 3; short at 4, stopped at 5, cool-down skips 6, re-enter at 7, exit 9
    assert sides.tolist() == [0, 1, 1, 0, -1, 0, 0, -1, -1, 0]
    with pytest.raises(ValueError):
        rule_positions(z, entry_z=2.0, exit_z=2.5)
