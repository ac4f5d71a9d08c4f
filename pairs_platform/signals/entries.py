"""Allowed entries: where the z-score rule, the ML verdict and the regime verdict agree.

The table :func:`entry_signals` builds is the ``signals`` asset: one row per (day, pair) in its
trading window with the z-score, the entry zone (``entry <= |z| < stop``), the walk-forward model's
P(reversion) and verdict, the regime verdict and ``entry_allowed`` (ML and regime both accept).
:func:`entry_mask` turns it into the (dates, schedule rows) mask the backtest takes. Exits are
never filtered. The verdicts come in computed (``ml.walkforward.predict_walk_forward``,
``ml.regimes.regime_allows_entry``), so this module depends on nothing above ``signals``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from pairs_platform.signals.spreads import SpreadPanel, pair_ids


@dataclass(frozen=True)
class EntryRules:
    """How the verdicts combine.

    Parameters
    ----------
    entry_z : float
        |z| at which the rule enters.
    stop_z : float
        |z| at or beyond which no entry is made.
    use_ml_filter : bool
        False: the ML verdict does not gate ``entry_allowed`` (it is still scored and shown).
    use_regime_filter : bool
        False: the regime verdict does not gate ``entry_allowed`` (it is still shown).
    """

    entry_z: float
    stop_z: float
    use_ml_filter: bool = True
    use_regime_filter: bool = True


def entry_zone(zscores: np.ndarray, mask: np.ndarray, entry: float = 2.0,
               stop: float = np.inf) -> np.ndarray:
    """(T, K) True where the pair is in its trading window and ``entry <= |z| < stop``.

    Parameters
    ----------
    zscores : np.ndarray
        (dates, schedule rows) z-scores.
    mask : np.ndarray
        Trading-window mask of the same shape.
    entry, stop : float
        Zone bounds on |z|.

    Returns
    -------
    np.ndarray
        Boolean (T, K) array.
    """
    z = np.asarray(zscores, dtype=np.float64)
    window = np.asarray(mask, dtype=bool)
    if window.shape != z.shape:
        raise ValueError(f"mask has shape {window.shape}, expected {z.shape} (dates x pairs, as the z-scores)")
    with np.errstate(invalid="ignore"):
        return window & (np.abs(z) >= entry) & (np.abs(z) < stop)


def entry_signals(panel: SpreadPanel, ml_verdict: pd.DataFrame, regime_ok: pd.Series,
                  rules: EntryRules) -> pd.DataFrame:
    """The signals table: z-score, entry zone, ML and regime verdicts and ``entry_allowed``.

    Parameters
    ----------
    panel : SpreadPanel
        Spreads, z-scores and trading-window mask of every schedule row.
    ml_verdict : pd.DataFrame
        Indexed by (date, pair_id) with ``proba`` and ``accept``; rows it lacks are accepted
        (no model for that period).
    regime_ok : pd.Series
        Bool per date; a date it lacks blocks entries (fail closed).
    rules : EntryRules
        Entry zone bounds and whether the ML verdict is applied.

    Returns
    -------
    pd.DataFrame
        One row per (date, pair_id) in a trading window: ``panel.to_frame()`` columns plus
        ``entry_zone``, ``ml_proba``, ``ml_accept``, ``regime_ok`` (the verdicts, applied or not),
        ``entry_allowed`` (the verdicts the rules apply).
    """
    table = panel.to_frame().set_index(["date", "pair_id"])
    zone = entry_zone(panel.zscores, panel.mask, entry=rules.entry_z, stop=rules.stop_z)
    t, k = np.nonzero(panel.mask)
    table["entry_zone"] = zone[t, k]
    verdict = ml_verdict.reindex(table.index)
    table["ml_proba"] = verdict["proba"]
    table["ml_accept"] = verdict["accept"].fillna(True).astype(bool)
    regime = regime_ok.reindex(table.index.get_level_values("date")).fillna(False)
    table["regime_ok"] = regime.to_numpy(dtype=bool)
    table["entry_allowed"] = ((table["ml_accept"] | (not rules.use_ml_filter))
                              & (table["regime_ok"] | (not rules.use_regime_filter)))
    return table.reset_index()


def entry_counts(signals: pd.DataFrame) -> dict[str, int]:
    """How many entry-zone days each verdict allows (for reports).

    Parameters
    ----------
    signals : pd.DataFrame
        Output of :func:`entry_signals`.

    Returns
    -------
    dict of str to int
        ``entry_zone_days``, ``allowed_by_ml``, ``allowed_by_regime``, ``allowed_entries``.
    """
    zone = signals[signals["entry_zone"]]
    return {"entry_zone_days": len(zone), "allowed_by_ml": int(zone["ml_accept"].sum()),
            "allowed_by_regime": int(zone["regime_ok"].sum()), "allowed_entries": int(zone["entry_allowed"].sum())}


def entry_mask(signals: pd.DataFrame, dates: pd.DatetimeIndex, schedule: pd.DataFrame,
               column: str = "entry_allowed") -> np.ndarray:
    """(dates, schedule rows) mask of allowed entries from the signals table.

    Parameters
    ----------
    signals : pd.DataFrame
        Output of :func:`entry_signals`.
    dates : pd.DatetimeIndex
        The price panel's dates (rows of the mask).
    schedule : pd.DataFrame
        The pair schedule (columns of the mask, in :func:`pair_ids` order).
    column : str
        The verdict read: ``entry_allowed`` (default), ``ml_accept`` or ``regime_ok``.

    Returns
    -------
    np.ndarray
        Boolean mask; False wherever the table has no row.
    """
    allowed = signals.pivot(index="date", columns="pair_id", values=column)
    allowed = allowed.reindex(index=dates, columns=pair_ids(schedule))
    return allowed.fillna(False).to_numpy(dtype=bool)


def filter_variants(signals: pd.DataFrame, dates: pd.DatetimeIndex, schedule: pd.DataFrame) -> dict:
    """Entry masks of the ablation variants ``none`` (None: no filter), ``regime``, ``ml`` and
    ``both``, from the verdicts in the signals table whether or not the rules apply them."""
    ml = entry_mask(signals, dates, schedule, "ml_accept")
    regime = entry_mask(signals, dates, schedule, "regime_ok")
    return {"none": None, "regime": regime, "ml": ml, "both": ml & regime}
