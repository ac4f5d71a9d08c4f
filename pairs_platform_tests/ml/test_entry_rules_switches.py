"""The entry filters' switches: the verdicts are always recorded, the rules decide which gate entries."""
import numpy as np
import pandas as pd

from pairs_platform.signals.entries import EntryRules, entry_signals, filter_variants
from pairs_platform.signals.spreads import SpreadPanel


def _panel():
    dates = pd.bdate_range("2021-01-04", periods=4, name="date")
    z = np.array([[2.5, 0.1], [2.5, 2.2], [0.0, 2.4], [3.0, 0.0]])
    return SpreadPanel(dates=dates, pair_ids=["a", "b"], spreads=z.copy(), zscores=z, mask=np.ones_like(z, dtype=bool))


def _signals(**rules):
    panel = _panel()
    verdict = pd.DataFrame({"proba": [0.1], "accept": [False]},
                           index=pd.MultiIndex.from_tuples([(panel.dates[0], "a")], names=["date", "pair_id"]))
    regime = pd.Series([True, False, True, True], index=panel.dates)
    return entry_signals(panel, verdict, regime, EntryRules(entry_z=2.0, stop_z=4.0, **rules)), panel


def test_filters_off_allow_every_entry_but_keep_their_verdicts():
    table, _ = _signals(use_ml_filter=False, use_regime_filter=False)
    assert table["entry_allowed"].all()
    assert (~table["ml_accept"]).sum() == 1 and (~table["regime_ok"]).sum() == 2  # verdicts still shown


def test_filters_on_gate_entries_and_variants_come_from_the_verdicts():
    table, panel = _signals()
    assert (~table["entry_allowed"]).sum() == 3
    schedule = pd.DataFrame({"window_id": [0, 0], "y": ["Y1", "Y2"], "x": ["X1", "X2"]})
    variants = filter_variants(table.assign(pair_id=table["pair_id"].map({"a": "0|Y1~X1", "b": "0|Y2~X2"})),
                               panel.dates, schedule)
    assert variants["none"] is None
    assert variants["regime"][:, 0].tolist() == [True, False, True, True]
    assert variants["ml"][0].tolist() == [False, True]
    assert variants["both"].sum() == 5
