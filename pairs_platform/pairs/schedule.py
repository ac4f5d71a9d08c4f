"""Walk-forward windows and the pair schedule: each formation window chooses pairs from past data only.

A window is ``formation_days`` bars of formation followed by ``trading_days`` bars of trading;
windows start every ``step_days`` bars (default ``trading_days``: back-to-back trading windows).
The last window may be partial: its trading window runs past the data, and its ``trade_end`` is
then extrapolated with business days (``partial`` is True). ``formation_end < trade_start`` always.
"""
from __future__ import annotations

import functools
from typing import Callable, NamedTuple

import numpy as np
import pandas as pd

from pairs_platform.conventions import TRADING_DAYS_PER_YEAR
from pairs_platform.pairs.memo import Screened, ScreeningMemo, options_digest, screening_key
from pairs_platform.pairs.selection import select_pairs
from pairs_platform.parallel import Backend, call_reference, chunked, parallel_map, parallel_task, resolve_task

WINDOW_COLUMNS = ["window_id", "formation_start", "formation_end", "trade_start", "trade_end"]
SELECTOR_COLUMNS = ["y", "x", "beta", "alpha", "spread_mean", "spread_std", "half_life", "pvalue"]


def walk_forward_windows(dates: pd.DatetimeIndex, formation_days: int = TRADING_DAYS_PER_YEAR, trading_days: int = 126,
                         step_days: int | None = None) -> pd.DataFrame:
    """Rolling (formation, trading) windows over ``dates``, one row per window.

    Columns: window_id, formation_start, formation_end, trade_start, trade_end, partial. A window
    exists whenever its trading window has at least its first bar in ``dates``.
    """
    dates = pd.DatetimeIndex(dates)
    if not dates.is_monotonic_increasing or dates.has_duplicates:
        raise ValueError("walk_forward_windows: dates must be sorted ascending and unique")
    step = trading_days if step_days is None else step_days
    for name, value in (("formation_days", formation_days), ("trading_days", trading_days), ("step_days", step)):
        if int(value) < 1:
            raise ValueError(f"walk_forward_windows: {name} must be >= 1, got {value}")
    starts = np.arange(0, max(len(dates) - formation_days, 0), step)
    if len(starts) == 0:
        raise ValueError(f"walk_forward_windows: {len(dates)} dates are too few for a {formation_days}-bar "
                         "formation window plus one trading bar; load more history or shorten formation_days")
    trade_first = starts + formation_days
    trade_last = trade_first + trading_days - 1
    partial = trade_last > len(dates) - 1
    trade_end = pd.DatetimeIndex(dates.values[np.minimum(trade_last, len(dates) - 1)])
    overshoot = trade_last - (len(dates) - 1)
    if partial.any():
        trade_end = trade_end.where(~partial, _extrapolate(dates[-1], overshoot, partial))
    return pd.DataFrame({
        "window_id": np.arange(len(starts), dtype=np.int64),
        "formation_start": dates.values[starts],
        "formation_end": dates.values[trade_first - 1],
        "trade_start": dates.values[trade_first],
        "trade_end": trade_end.values,
        "partial": partial,
    })


def _extrapolate(last: pd.Timestamp, overshoot: np.ndarray, partial: np.ndarray) -> np.ndarray:
    """Business-day dates ``overshoot`` days after ``last`` where partial (NaT elsewhere)."""
    base = np.datetime64(last.date(), "D")
    out = np.full(len(overshoot), np.datetime64("NaT"), dtype="datetime64[D]")
    out[partial] = np.busday_offset(base, overshoot[partial], roll="forward")
    return out.astype("datetime64[ns]")


class ScreenedSchedule(NamedTuple):
    """A pair schedule and the selection record of every formation window.

    ``window_attrs`` holds, in window order, one dict per formation window: a copy of the
    selector result's ``attrs`` (``select_pairs``: funnel, n_tests, expected_false_discoveries,
    funnel_explained, ...; ``{}`` when the selector returned None), the input of
    :func:`pairs_platform.pairs.funnel.summarize_windows`.
    """

    schedule: pd.DataFrame
    window_attrs: list[dict]
    reused: int = 0


def build_pair_schedule(prices: pd.DataFrame, windows: pd.DataFrame, selector: Callable[[pd.DataFrame], pd.DataFrame],
                        backend: Backend | None = None, n_chunks: int | None = None) -> pd.DataFrame:
    """Run ``selector`` on each formation window's prices and stack its pairs with the window columns.

    ``selector`` receives only ``prices`` from formation_start to formation_end (a copy) and returns
    one row per chosen pair with at least y, x, beta, alpha, spread_mean, spread_std (half_life and
    pvalue are added as NaN when missing). One row per (window, pair) comes back, ordered by window.

    ``backend`` (a :class:`pairs_platform.parallel.Backend`) fans the windows out in ``n_chunks``
    chunks of consecutive windows (default: one per window); the result equals the single-process
    one. ``selector`` must then be a registered chunk function (e.g. :func:`select_formation_pairs`)
    or a ``functools.partial`` of one with keyword options only, so workers can import it.
    :func:`screen_pair_schedule` also returns each window's selection record (the funnel).
    """
    return screen_pair_schedule(prices, windows, selector, backend, n_chunks).schedule


def screen_pair_schedule(prices: pd.DataFrame, windows: pd.DataFrame, selector: Callable[[pd.DataFrame], pd.DataFrame],
                         backend: Backend | None = None, n_chunks: int | None = None,
                         memo: ScreeningMemo | None = None) -> ScreenedSchedule:
    """:func:`build_pair_schedule` plus every window's selection record (see :class:`ScreenedSchedule`).

    The records come back from the chunks next to their rows, so they are the same with and
    without ``backend``. With ``memo`` (and a registered selector, see :func:`select_formation_pairs`),
    a window whose prices, selector options and code are unchanged since it was last screened is
    taken from the memo (:mod:`pairs_platform.pairs.memo`); only the others are screened, and kept.
    ``ScreenedSchedule.reused`` counts the windows taken from the memo.
    """
    missing = [c for c in WINDOW_COLUMNS if c not in windows.columns]
    if missing:
        raise ValueError(f"windows lack columns {missing}; build them with walk_forward_windows")
    keys = _memo_keys(prices, windows, selector) if memo is not None else None
    found = [memo.get(key) for key in keys] if keys else [None] * len(windows)
    todo = [i for i, screened in enumerate(found) if screened is None]
    fresh = _screen(prices, windows.iloc[todo], selector, backend, n_chunks) if todo else []
    for i, screened in zip(todo, fresh):
        found[i] = screened
        if keys:
            memo.put(keys[i], screened)
    frames = [_with_window(pd.DataFrame(s.chosen).reset_index(drop=True), window)
              for s, window in zip(found, windows.itertuples(index=False)) if s.chosen is not None and len(s.chosen)]
    window_attrs = [dict(s.attrs) for s in found]
    reused = len(windows) - len(todo)
    columns = WINDOW_COLUMNS + SELECTOR_COLUMNS
    if not frames:
        return ScreenedSchedule(pd.DataFrame(columns=columns), window_attrs, reused)
    schedule = pd.concat(frames, ignore_index=True)
    extra = [c for c in schedule.columns if c not in columns]
    return ScreenedSchedule(schedule[columns + extra], window_attrs, reused)


def _memo_keys(prices: pd.DataFrame, windows: pd.DataFrame, selector) -> list[str] | None:
    """One :func:`~pairs_platform.pairs.memo.screening_key` per window, or None for a selector that is
    not a registered chunk function (a closure cannot be identified, so it is never memoized)."""
    try:
        path, options = call_reference(selector)
    except ValueError:
        return None
    selector_digest = options_digest(path, options)
    return [screening_key(selector_digest, _formation(prices, window, copy=False))  # no copy to hash
            for window in windows.itertuples(index=False)]


def _formation(prices: pd.DataFrame, window, copy: bool = True) -> pd.DataFrame:
    """The prices a selector sees for ``window`` (a copy, unless only read here)."""
    formation = prices.loc[window.formation_start:window.formation_end]
    return formation.copy() if copy else formation


def _screen(prices: pd.DataFrame, windows: pd.DataFrame, selector, backend: Backend | None,
            n_chunks: int | None) -> list[Screened]:
    """Each window of ``windows`` screened by ``selector``, in order (in this process, or in chunks)."""
    if backend is None:
        return _screen_each(prices, windows, selector)
    path, options = call_reference(selector)
    chunks = [{"prices": prices.loc[windows["formation_start"].iloc[c.start]:windows["formation_end"].iloc[c.stop - 1]],
               "windows": windows.iloc[c].reset_index(drop=True), "selector": path, "options": options}
              for c in chunked(len(windows), n_chunks or len(windows))]
    return [Screened(s["chosen"], s["attrs"]) for r in parallel_map(screen_windows, chunks, backend)
            for s in r["screened"]]


def _screen_each(prices: pd.DataFrame, windows: pd.DataFrame, selector) -> list[Screened]:
    """Every window's selector rows (None when it chose nothing) and ``attrs``."""
    out = []
    for window in windows.itertuples(index=False):  # a loop over windows (few), not pairs or bars
        chosen = selector(_formation(prices, window))
        attrs = dict(getattr(chosen, "attrs", None) or {})
        out.append(Screened(None if chosen is None or len(chosen) == 0 else pd.DataFrame(chosen), attrs))
    return out


@parallel_task
def screen_windows(chunk: dict) -> dict:
    """Chunk function: ``{"screened": [{"chosen": rows or None, "attrs": record}, ...]}``, one per
    window of ``chunk["windows"]``, screened on ``chunk["prices"]`` by the registered selector
    ``chunk["selector"]`` with ``chunk["options"]``."""
    selector = functools.partial(resolve_task(chunk["selector"]), **chunk["options"])
    screened = _screen_each(chunk["prices"], chunk["windows"], selector)
    return {"screened": [{"chosen": s.chosen, "attrs": s.attrs} for s in screened]}


@parallel_task
def select_formation_pairs(formation: pd.DataFrame, instruments: pd.DataFrame | None = None,
                           **options) -> pd.DataFrame:
    """A selector for :func:`build_pair_schedule`: :func:`select_pairs` on the instruments that have
    the whole formation window (``instruments`` restricted to them); ``options`` go to ``select_pairs``."""
    usable = formation.dropna(axis=1)
    return select_pairs(usable, None if instruments is None else instruments.loc[usable.columns], **options)


def _with_window(chosen: pd.DataFrame, window) -> pd.DataFrame:
    required = ["y", "x", "beta", "alpha", "spread_mean", "spread_std"]
    missing = [c for c in required if c not in chosen.columns]
    if missing:
        raise ValueError(f"pair selector returned no {missing} columns for the formation window ending "
                         f"{pd.Timestamp(window.formation_end).date()}; it must return {required}")
    for column in ("half_life", "pvalue"):
        if column not in chosen.columns:
            chosen[column] = np.nan
    for column in WINDOW_COLUMNS:
        chosen[column] = getattr(window, column)
    return chosen
