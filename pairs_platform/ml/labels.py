"""Triple-barrier style labels of z-score entry candidates, all pairs at once.

A candidate entry is a day ``t`` inside the pair's trading window on which ``|z|`` crosses into the
entry zone of ``pairs_platform.signals.rules`` (``|z[t-1]| < entry <= |z[t]| < stop``). Let ``s = sign(z[t])`` (the side we would fade). Scanning
the bars ``t+1 .. t+horizon``, the first of these events resolves it:

- reversion: ``s * z <= exit`` (back inside the exit band, or through the mean): label 1;
- stop: ``s * z >= stop`` (further out on the same side): label 0;
- window end: the pair leaves its trading window (the position would be closed): label 0,
  resolved on the last in-window bar;
- horizon: none of the above within ``horizon`` bars: label 0, resolved on ``t + horizon``.

If the data end before one of these happens, the outcome is not known yet: the label is NaN and
the candidate must not be trained on. ``end_index`` (row of the resolving bar) is the event end
used to purge cross-validation folds and to train only on labels known before a cutoff.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from pairs_platform.signals.spreads import SpreadPanel

UNRESOLVED, REVERTED, STOPPED, HORIZON, WINDOW_END = 0, 1, 2, 3, 4
OUTCOME_NAMES = {UNRESOLVED: "unresolved", REVERTED: "reverted", STOPPED: "stopped",
                 HORIZON: "horizon", WINDOW_END: "window_end"}


@dataclass(frozen=True)
class EntryLabels:
    """Labels of entry candidates as (T, K) arrays (rows = dates, columns = schedule rows).

    Attributes
    ----------
    candidates : np.ndarray
        True on candidate entry days.
    label : np.ndarray
        1.0 reverted, 0.0 failed (stop, horizon, window end), NaN unresolved/not a candidate.
    outcome : np.ndarray
        One of the ``OUTCOME_NAMES`` codes (0 where not a candidate).
    end_index : np.ndarray
        Row of the bar on which the label became known (-1 where unknown).
    """

    candidates: np.ndarray
    label: np.ndarray
    outcome: np.ndarray
    end_index: np.ndarray

    def to_frame(self, dates: pd.DatetimeIndex, ids: list[str]) -> pd.DataFrame:
        """Long table of candidates indexed by ``(date, pair_id)``: label, outcome, label_end, bars."""
        rows, cols = np.nonzero(self.candidates)
        end = self.end_index[rows, cols]
        known = end >= 0
        label_end = np.full(len(rows), np.datetime64("NaT"), dtype="datetime64[ns]")
        label_end[known] = pd.DatetimeIndex(dates).values[end[known]]
        index = pd.MultiIndex.from_arrays([dates[rows], np.asarray(ids, dtype=object)[cols]],
                                          names=["date", "pair_id"])
        return pd.DataFrame({
            "label": self.label[rows, cols],
            "outcome": pd.Categorical.from_codes(self.outcome[rows, cols],
                                                 [OUTCOME_NAMES[c] for c in sorted(OUTCOME_NAMES)]),
            "label_end": label_end,
            "bars_to_resolution": np.where(known, end - rows, -1),
        }, index=index)


def entry_candidates(zscores: np.ndarray, mask: np.ndarray, entry: float = 2.0,
                     stop: float = np.inf) -> np.ndarray:
    """(T, K) True on in-window days where ``|z[t-1]| < entry <= |z[t]| < stop``."""
    abs_z = np.abs(np.asarray(zscores, dtype=np.float64))
    previous = np.vstack([np.full((1, abs_z.shape[1]), np.nan), abs_z[:-1]])
    with np.errstate(invalid="ignore"):
        crossing = (abs_z >= entry) & (abs_z < stop) & (previous < entry)
    return np.asarray(mask, dtype=bool) & crossing


def _forward_window(values: np.ndarray, horizon: int, pad) -> np.ndarray:
    """(T, K, horizon) view: [t, k, s-1] = values[t + s, k] for s = 1..horizon (``pad`` past T)."""
    padded = np.concatenate([values, np.full((horizon, values.shape[1]), pad, dtype=values.dtype)])
    return sliding_window_view(padded, horizon + 1, axis=0)[:len(values), :, 1:]


def _first_true(hits: np.ndarray) -> np.ndarray:
    """Index of the first True along the last axis, ``hits.shape[-1]`` where there is none."""
    return np.where(hits.any(axis=-1), hits.argmax(axis=-1), hits.shape[-1])


def _check_label_args(zscores: np.ndarray, mask: np.ndarray, entry: float, exit: float,
                      stop: float, horizon: int) -> None:
    if np.shape(zscores) != np.shape(mask) or np.ndim(zscores) != 2:
        raise ValueError(f"zscores {np.shape(zscores)} and mask {np.shape(mask)} must be equal (T, K) "
                         "arrays; build the mask with signals.spreads.trading_mask")
    if not 0 <= exit < entry < stop:
        raise ValueError(f"label thresholds need 0 <= exit < entry < stop, got exit={exit}, "
                         f"entry={entry}, stop={stop}")
    if horizon < 1:
        raise ValueError(f"label horizon must be >= 1 bar, got {horizon}")


def entry_labels(zscores: np.ndarray, mask: np.ndarray, entry: float = 2.0, exit: float = 0.5,
                 stop: float = 4.0, horizon: int = 20) -> EntryLabels:
    """Labels every entry candidate with its reversion outcome (see the module docstring).

    Parameters
    ----------
    zscores : np.ndarray
        (T, K) z-scores (``signals.spreads``), rows = dates of the prices.
    mask : np.ndarray
        (T, K) trading-window mask (``signals.spreads.trading_mask``).
    entry, exit, stop : float
        |z| thresholds with ``0 <= exit < entry < stop``.
    horizon : int
        Maximum holding period in bars.

    Returns
    -------
    EntryLabels
        Candidates, labels, outcomes and the bar each label became known.
    """
    _check_label_args(zscores, mask, entry, exit, stop, horizon)
    z = np.asarray(zscores, dtype=np.float64)
    in_window = np.asarray(mask, dtype=bool)
    candidates = entry_candidates(z, in_window, entry, stop)
    rows, cols = np.nonzero(candidates)
    side = np.sign(z[rows, cols])[:, None]
    ahead = _forward_window(z, horizon, np.nan)[rows, cols] * side
    present = _forward_window(np.ones_like(in_window), horizon, False)[rows, cols]
    window_open = _forward_window(in_window, horizon, False)[rows, cols]
    with np.errstate(invalid="ignore"):
        first_revert = _first_true((ahead <= exit) & window_open)
        first_stop = _first_true((ahead >= stop) & window_open)
    first_close, first_missing = _first_true(~window_open), _first_true(~present)
    first_event = np.minimum(np.minimum(first_revert, first_stop), first_close)
    outcome = np.select(
        [first_event == horizon, first_event == first_revert, first_event == first_stop],
        [HORIZON, REVERTED, STOPPED], WINDOW_END)
    # Bars past the data end are outside the mask too: the outcome is not known yet.
    outcome = np.where((first_missing < horizon) & (first_event == first_missing), UNRESOLVED, outcome)
    bars = np.where(outcome == WINDOW_END, first_event, np.minimum(first_event + 1, horizon))
    return _assemble(candidates, rows, cols, outcome, rows + bars)


def _assemble(candidates: np.ndarray, rows: np.ndarray, cols: np.ndarray, outcome: np.ndarray,
              end_row: np.ndarray) -> EntryLabels:
    label = np.full(candidates.shape, np.nan)
    code = np.zeros(candidates.shape, dtype=np.int8)
    end_index = np.full(candidates.shape, -1, dtype=np.int64)
    resolved = outcome != UNRESOLVED
    label[rows, cols] = np.where(outcome == REVERTED, 1.0, np.where(resolved, 0.0, np.nan))
    code[rows, cols] = outcome
    end_index[rows, cols] = np.where(resolved, end_row, -1)
    return EntryLabels(candidates=candidates, label=label, outcome=code, end_index=end_index)


def panel_labels(panel: SpreadPanel, entry: float, exit: float, stop: float, horizon: int) -> pd.DataFrame:
    """Did each z-score entry candidate of ``panel`` revert before its stop or horizon?

    Parameters
    ----------
    panel : SpreadPanel
        Z-scores and trading-window mask of every schedule row (``signals.spreads.spread_panel``).
    entry, exit, stop : float
        The strategy's z-score rules (see :func:`entry_labels`).
    horizon : int
        Bars after which an unreverted candidate is a failure.

    Returns
    -------
    pd.DataFrame
        Indexed by ``(date, pair_id)``: ``label``, ``outcome``, ``label_end``, ``bars``.
    """
    labels = entry_labels(panel.zscores, panel.mask, entry=entry, exit=exit, stop=stop, horizon=horizon)
    return labels.to_frame(panel.dates, panel.pair_ids)
