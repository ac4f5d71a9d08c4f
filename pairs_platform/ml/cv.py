"""Purged, embargoed time-series cross-validation (after Lopez de Prado, AFML ch. 7).

Each sample is an event with a start (the feature date, when we would act) and an end (the date
its label became known). Folds are contiguous blocks of event start dates, so one date never
sits in two folds. For each test fold we compute its span ``[first start, last end]`` and widen it
by ``embargo_days`` calendar days on both sides; a training sample is kept only if its whole
event interval ``[start, end]`` lies outside that widened span:

- purging removes training events whose labels were still being decided during the test span
  (their outcome overlaps the test information);
- the embargo additionally drops events just around the test span, whose rolling-window features
  are serially correlated with the test samples.

``expanding=True`` (default, walk-forward) splits the start dates into ``n_splits + 1`` blocks,
tests on blocks 2..n+1 and trains only on events before the test block; ``expanding=False`` is
the purged K-fold of AFML (``n_splits`` blocks, training on both sides of each test block).
Note the embargo is applied on both sides here, which is stricter than AFML's after-only embargo.
"""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd


class PurgedTimeSeriesSplit:
    """Splitter yielding ``(train_positions, test_positions)`` of samples, purged and embargoed."""

    def __init__(self, n_splits: int = 5, embargo_days: int = 10, expanding: bool = True):
        if n_splits < 2:
            raise ValueError(f"PurgedTimeSeriesSplit needs n_splits >= 2, got {n_splits}")
        if embargo_days < 0:
            raise ValueError(f"embargo_days must be >= 0, got {embargo_days}")
        self.n_splits = n_splits
        self.embargo_days = embargo_days
        self.expanding = expanding

    def get_n_splits(self) -> int:
        """Number of (train, test) splits yielded."""
        return self.n_splits

    def split(self, event_start, event_end) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yields integer positions (into the given arrays) of training and test samples.

        Args:
            event_start: per-sample start timestamps (feature dates), any order.
            event_end: per-sample label end timestamps (>= start, no NaT).
        """
        start, end = _as_times(event_start, event_end)
        blocks = np.array_split(np.unique(start), self.n_splits + int(self.expanding))
        if any(len(block) == 0 for block in blocks):
            raise ValueError(f"only {len(np.unique(start))} distinct event dates: too few for "
                             f"{self.n_splits} purged splits; lower n_splits or add history")
        embargo = np.timedelta64(self.embargo_days, "D")
        for block in blocks[int(self.expanding):]:
            test = np.flatnonzero((start >= block[0]) & (start <= block[-1]))
            span_lo = block[0] - embargo
            span_hi = max(end[test].max(), block[-1]) + embargo
            outside = (end < span_lo) | (start > span_hi)
            if self.expanding:
                outside &= start < block[0]
            yield np.flatnonzero(outside), test


def _as_times(event_start, event_end) -> tuple[np.ndarray, np.ndarray]:
    start = np.asarray(pd.DatetimeIndex(event_start).values, dtype="datetime64[ns]")
    end = np.asarray(pd.DatetimeIndex(event_end).values, dtype="datetime64[ns]")
    if start.shape != end.shape:
        raise ValueError(f"event_start ({start.shape}) and event_end ({end.shape}) differ in length")
    if np.isnat(end).any() or np.isnat(start).any():
        raise ValueError("event times contain NaT: drop unresolved labels (label NaN) before "
                         "cross-validation")
    if np.any(end < start):
        bad = int(np.flatnonzero(end < start)[0])
        raise ValueError(f"sample {bad}: label end {end[bad]} is before its start {start[bad]}")
    return start, end
