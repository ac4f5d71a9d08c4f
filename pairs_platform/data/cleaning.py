"""Cleaning raw long bars into a complete (trading day x instrument) panel, by documented rules.

``clean_bars(raw, days, instruments, rules)`` returns the cleaned bars for exactly ``days`` x the
instruments present in ``raw``, each from its first raw bar on (the days before an instrument's first
bar, e.g. an ETF launched inside the range, are not listed yet: no rows, counted in ``not_listed_yet``). ``raw`` may (and for the outlier and gap rules should) include a
lookback of earlier bars: ``rules.lookback_days`` trading days. Bars whose session is after the last
requested day are ignored, so the result for a day never depends on later data; and cleaning one day
with its lookback gives the same row as cleaning a long range whenever each instrument has
``sigma_window + 2`` usable bars in the lookback (always, unless a gap eats more than
``max_ffill_days`` of it).

Rules, applied in this order (counts in the report only cover bars/cells of the requested days):
1. ``non_numeric``: a price that is not a number is missing. ``non_positive``: a close <= 0 is missing
   (open/high/low <= 0 and volume < 0 become NaN; counted in ``other_fields_invalid``).
2. ``duplicates_exact``: identical rows are dropped. ``duplicates_conflicting``: several different
   rows for one (instrument, date): the last one with a usable close wins (sources append
   corrections); with ``on_conflict='raise'`` a ``DataQualityError`` stops instead.
3. ``off_calendar_bars``: bars dated on a weekend/holiday (crypto weekends, stray holiday bars) are
   folded into the next trading day's session (``calendar.session_for``); each session keeps its last
   usable bar, so Monday's close is Monday's bar and weekend bars only fill in when Monday is missing.
4. ``outliers_replaced``: a close whose log move from the previous usable close exceeds the jump
   threshold ``clip(spike_sigmas * robust_sigma, min_jump[class], max_abs_log_return[class])`` (robust
   sigma = 1.4826 x median |return| over the ``sigma_window`` previous returns) is replaced by the
   previous value -- unless the previous bar was itself such a jump and this bar is back within the
   threshold of the bar before it (a reverting spike) or stays at the new level (a real move: kept).
   The rule is causal: a real permanent jump is held back one day, a one-day spike never gets through;
   bad prices that persist two days at one level look like a real jump and are accepted on day two.
   Futures moves across a contract change are never flagged (that is the roll gap).
5. ``gaps_filled``: a requested day without a usable close takes the last usable close up to
   ``max_ffill_days`` trading days back (open/high/low = that close, volume = 0). Beyond that bound the
   instrument has no data for the day and ``DataQualityError`` names the instrument, day and fix.

A source that has *ended* is not a gap: :func:`check_source_not_ended` (called by the raw-price step
before anything is written) refuses a session after an instrument's last bar in its source with a
``DataInputError`` naming the instrument, the source's last date and the fix, instead of five flat
forward-filled bars.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np
import pandas as pd

from pairs_platform.data.calendar import is_trading_day, session_for, trading_days
from pairs_platform.data.errors import DataInputError, DataQualityError
from pairs_platform.data.outliers import flag_outliers
from pairs_platform.data.prices import Grid
from pairs_platform.data.sources.base import BAR_COLUMNS, FLOAT_OPTIONAL, OPTIONAL_COLUMNS

RULE_COUNTS = ("duplicates_exact", "duplicates_conflicting", "non_numeric", "non_positive",
               "other_fields_invalid", "off_calendar_bars", "outliers_replaced", "first_bar_unchecked",
               "gaps_filled", "not_listed_yet")


@dataclass(frozen=True)
class CleaningRules:
    """Parameters of the cleaning rules (see module docstring)."""

    max_ffill_days: int = 5
    spike_sigmas: float = 12.0
    sigma_window: int = 8
    min_jump: Mapping[str, float] = field(default_factory=lambda: {
        "equity": 0.35, "future": 0.35, "fixed_income": 0.08, "crypto": 0.5})
    max_abs_log_return: Mapping[str, float] = field(default_factory=lambda: {
        "equity": 1.0, "future": 0.7, "fixed_income": 0.25, "crypto": 1.5})
    on_conflict: str = "keep_last"  # or "raise"
    first_bar_window: int = 3  # later bars whose median judges an instrument's first bar

    @property
    def lookback_days(self) -> int:
        """Trading days of raw history to pass before the first requested day: enough for the outlier
        rule's ``sigma_window + 2`` usable bars even after a gap of ``max_ffill_days``."""
        return self.sigma_window + 2 + self.max_ffill_days


#: Calendar days around a session that :func:`check_source_not_ended` looks at: bars this far back
#: show an instrument was served; none up to this far ahead means its source has ended.
SOURCE_END_LOOKBACK = pd.Timedelta(days=366)
SOURCE_END_LOOKAHEAD = pd.Timedelta(days=31)


def check_source_not_ended(nearby: pd.DataFrame, session: Any, where: str = "") -> None:
    """Refuse a session after the last bar an instrument's source has (the source ended).

    Parameters
    ----------
    nearby : pd.DataFrame
        The source's bars (``date``, ``instrument_id``) of the instruments that have no bar in
        ``session``, from ``SOURCE_END_LOOKBACK`` before it to ``SOURCE_END_LOOKAHEAD`` after it.
    session : date-like
        The last session requested.
    where : str
        The source and asset, for the message (e.g. ``"raw_prices/equity, source 'bundled'"``).

    Raises
    ------
    DataInputError
        When an instrument has bars before ``session`` and none at or after it: names the first such
        instrument, its last date in the source, how many instruments ended, and the fix. An
        instrument with no bar before (not listed yet) or with a later bar (a gap) passes.
    """
    if not len(nearby):
        return
    day = pd.Timestamp(session).normalize()
    sessions = session_for(pd.DatetimeIndex(pd.to_datetime(nearby["date"])))
    later = set(nearby.loc[sessions >= day, "instrument_id"])
    before = nearby[(sessions < day) & ~nearby["instrument_id"].isin(later)]
    if not len(before):
        return
    last = pd.to_datetime(before["date"]).groupby(before["instrument_id"]).max().sort_values()
    iid, end = last.index[0], last.iloc[0]
    raise DataInputError(iid, day, "date", f"the source has no bar for {iid} at or after this session: its "
                         f"last bar is {end.date()} ({len(last)} instrument(s) end before this session: "
                         f"{', '.join(last.index[:10])})",
                         f"materialize sessions up to {last.iloc[-1].date()} at most (make demo --end, the "
                         "partition range, or PAIRS_PARTITIONS_END), or extend the source's data for "
                         "these instruments", location=where)


@dataclass
class CleaningResult:
    """Cleaned long bars (exactly ``days`` x instruments) and a report of what each rule changed."""

    bars: pd.DataFrame
    report: dict[str, Any]


def _check_days(days: Any) -> pd.DatetimeIndex:
    days = pd.DatetimeIndex(days).normalize().astype("datetime64[ns]")
    if len(days) == 0:
        raise ValueError("clean_bars: no days requested")
    if not (days.is_unique and days.is_monotonic_increasing):
        raise ValueError("clean_bars: days must be sorted and unique")
    off = days[~is_trading_day(days)]
    if len(off):
        raise ValueError(f"clean_bars: {off[0].date()} is not a trading day; ask for calendar.trading_days")
    return days.rename("date")


def _prepare(raw: pd.DataFrame, instruments: pd.DataFrame) -> pd.DataFrame:
    """Columns checked, dates parsed, unknown instruments refused; adds ``session``, ``row``."""
    missing = [c for c in ("date", "instrument_id", "close") if c not in raw.columns]
    if missing:
        raise DataQualityError(None, None, ",".join(missing), "raw bars lack columns",
                               f"provide long bars with columns {list(BAR_COLUMNS)}")
    frame = raw.reset_index(drop=True).copy()
    frame["instrument_id"] = frame["instrument_id"].astype(str)
    dates = pd.to_datetime(frame["date"], errors="coerce")
    if dates.isna().any():
        i = int(np.flatnonzero(dates.isna().to_numpy())[0])
        raise DataQualityError(frame.at[i, "instrument_id"], frame.at[i, "date"], "date",
                               "missing or unparseable date", "fix or remove the row in the source")
    frame["date"] = dates.dt.normalize().astype("datetime64[ns]")
    unknown = sorted(set(frame["instrument_id"].unique()) - set(instruments.index))
    if unknown:
        raise DataQualityError(unknown[0], None, "instrument_id", "not in the instrument table",
                               "add a row for it to the instrument table (instruments_from_csv)")
    frame["session"] = session_for(frame["date"]).values if len(frame) else frame["date"]
    frame["row"] = np.arange(len(frame))
    return frame


def _coerce_prices(frame: pd.DataFrame) -> pd.DataFrame:
    """Numeric coercion: marks ``bad_numeric`` / ``bad_positive`` for the close."""
    close = pd.to_numeric(frame["close"], errors="coerce")
    frame["bad_numeric"] = (close.isna() & frame["close"].notna()) | np.isinf(close)
    frame["bad_positive"] = (close <= 0) & ~frame["bad_numeric"]
    frame["close"] = close.where((close > 0) & ~frame["bad_numeric"]).astype("float64")
    invalid = np.zeros(len(frame), int)
    for col in ("open", "high", "low", "volume", "prev_close", "yield"):
        if col not in frame.columns:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = (values.isna() & frame[col].notna()) | np.isinf(values)
        if col != "yield":
            bad |= values < 0 if col == "volume" else values <= 0
        invalid += bad.to_numpy()
        frame[col] = values.where(~bad).astype("float64")
    frame["bad_other"] = invalid
    return frame


def _dedupe(frame: pd.DataFrame, rules: CleaningRules) -> pd.DataFrame:
    """Drop exact duplicates; resolve conflicting ones (last usable row wins, or raise)."""
    frame["usable"] = frame["close"].notna()
    frame["dup_conflict"] = False
    if not frame.duplicated(subset=["instrument_id", "date"]).any():  # the usual case: nothing to resolve
        frame["dup_exact"] = False
        return frame
    value_cols = [c for c in frame.columns if c in BAR_COLUMNS or c in OPTIONAL_COLUMNS]
    frame["dup_exact"] = frame.duplicated(subset=value_cols, keep="first")
    exact = frame[frame["dup_exact"]]
    frame = frame[~frame["dup_exact"]]
    conflict = frame.duplicated(subset=["instrument_id", "date"], keep=False)
    if conflict.any() and rules.on_conflict == "raise":
        first = frame[conflict].iloc[0]
        raise DataQualityError(first["instrument_id"], first["date"], "close",
                               "several different bars for one date",
                               "remove the wrong row in the source, or use on_conflict='keep_last'")
    frame = frame.sort_values(["instrument_id", "date", "usable", "row"], kind="stable")
    loser = frame.duplicated(subset=["instrument_id", "date"], keep="last")
    dropped = frame[loser].assign(dup_conflict=True)
    return pd.concat([frame[~loser], dropped, exact]).sort_values("row", kind="stable")


def _fold_sessions(frame: pd.DataFrame) -> pd.DataFrame:
    """One bar per (instrument, session): the last usable bar (by real date) of the session."""
    kept = frame[~frame["dup_exact"] & ~frame["dup_conflict"]]
    kept = kept.sort_values(["instrument_id", "session", "usable", "date"], kind="stable")
    return kept.drop_duplicates(subset=["instrument_id", "session"], keep="last")


def _first_bar_checks(bars: pd.DataFrame, outlier: pd.Series,
                      days: pd.DatetimeIndex) -> tuple[int, dict[str, int]]:
    """Raise on a rejected first bar inside ``days`` (nothing earlier can replace it); count the
    instruments whose first bar is inside ``days`` with no later bar to judge it by."""
    usable = bars[bars["close"].notna()]
    bad = outlier[usable.index]
    good_before = (~bad).groupby(usable["instrument_id"], sort=False).cumsum() - (~bad)
    rejected = usable[bad & (good_before == 0) & usable["session"].isin(days)]
    if len(rejected):
        row = rejected.iloc[0]
        after = usable.loc[(usable["instrument_id"] == row["instrument_id"]) & ~bad, "close"]
        raise DataQualityError(row["instrument_id"], row["session"], "close", f"the first bar's close "
                               f"{row['close']:g} is a spike against the next bars (median "
                               f"{after.head(3).median():g}); no earlier bar can replace it",
                               "correct or delete the bar in the source, or start the requested days "
                               "after it")
    lonely = usable[~usable["instrument_id"].duplicated(keep=False) & usable["session"].isin(days)]
    return len(lonely), {iid: 1 for iid in lonely["instrument_id"]}


def _listed(bars: pd.DataFrame, grid: Grid) -> pd.DataFrame:
    """(sessions, ids) True from an instrument's first raw bar on (usable or not): before it, the
    instrument is not listed yet (e.g. an ETF launched inside the range), which is not a gap."""
    return grid.values(bars.assign(_row=1.0), "_row").notna().cummax()


def _raise_gap(close: pd.DataFrame, filled: pd.DataFrame, days: pd.DatetimeIndex,
               rules: CleaningRules, listed: pd.DataFrame) -> None:
    still = filled.loc[days].isna() & listed.loc[days]
    if not still.to_numpy().any():
        return
    day_pos, col_pos = np.argwhere(still.to_numpy())[0]
    iid, day = still.columns[col_pos], days[day_pos]
    history = close[iid].loc[:day].dropna()
    last = f"last usable bar {history.index[-1].date()}" if len(history) else "no usable bar in the raw data given"
    raise DataQualityError(iid, day, "close", f"no usable close within {rules.max_ffill_days} trading days "
                           f"({last})", "supply the missing bars (or a longer lookback), raise "
                           "CleaningRules.max_ffill_days, or drop the instrument from the universe for "
                           "these dates")


def _count(frame: pd.DataFrame, mask: pd.Series, in_scope: pd.Series) -> tuple[int, dict[str, int]]:
    hit = mask & in_scope
    per = frame.loc[hit, "instrument_id"].value_counts()
    return int(hit.sum()), {k: int(v) for k, v in per.items()}


def clean_bars(raw: pd.DataFrame, days: Any, instruments: pd.DataFrame,
               rules: CleaningRules = CleaningRules()) -> CleaningResult:
    """Clean raw long bars into exactly ``days`` x (instruments present in ``raw``, from their first bar).

    Returns ``CleaningResult(bars, report)``; ``bars`` is long (``date, instrument_id, open, high, low,
    close, volume`` plus ``contract``/``prev_close``/``yield`` when ``raw`` has them), dated on the
    trading days;
    ``report`` counts each rule's changes on the requested days (and per instrument).
    Raises ``DataQualityError`` for what cannot be repaired (see the module docstring).
    """
    days = _check_days(days)
    if len(raw) == 0:  # nothing to clean (e.g. no source serves these days)
        extras = [c for c in OPTIONAL_COLUMNS if c in raw.columns]
        return CleaningResult(_empty_output(extras), _report({}, 0, 0))
    frame = _prepare(raw, instruments)
    frame = frame[frame["session"] <= days[-1]]  # later bars never inform earlier days
    extras = [c for c in OPTIONAL_COLUMNS if c in frame.columns]
    ids = sorted(frame["instrument_id"].unique())
    if not ids:
        return CleaningResult(_empty_output(extras), _report({}, 0, 0))
    frame = _dedupe(_coerce_prices(frame), rules)
    in_scope = frame["session"].isin(days)
    counts: dict[str, tuple[int, dict[str, int]]] = {
        "duplicates_exact": _count(frame, frame["dup_exact"], in_scope),
        "duplicates_conflicting": _count(frame, frame["dup_conflict"], in_scope),
        "non_numeric": _count(frame, frame["bad_numeric"] & ~frame["dup_exact"], in_scope),
        "non_positive": _count(frame, frame["bad_positive"] & ~frame["dup_exact"], in_scope),
        "off_calendar_bars": _count(frame, (frame["date"] != frame["session"]) & ~frame["dup_exact"], in_scope),
    }
    other = frame.loc[in_scope & ~frame["dup_exact"], "bad_other"]
    counts["other_fields_invalid"] = (int(other.sum()), {})
    bars = _fold_sessions(frame).sort_values(["instrument_id", "session"], kind="stable")
    classes = instruments["asset_class"]
    outlier = flag_outliers(bars, classes, rules)
    counts["outliers_replaced"] = _count(bars, outlier, bars["session"].isin(days))
    counts["first_bar_unchecked"] = _first_bar_checks(bars, outlier, days)
    bars.loc[outlier, "close"] = np.nan
    grid = Grid.of_bars(bars, "session", trading_days(min(bars["session"].min(), days[0]), days[-1]), ids)
    close = grid.values(bars, "close")
    filled = close.ffill(limit=rules.max_ffill_days)
    listed = _listed(bars, grid)
    _raise_gap(close, filled, days, rules, listed)
    unlisted = ~listed.loc[days]
    counts["not_listed_yet"] = (int(unlisted.to_numpy().sum()), {k: int(v) for k, v in unlisted.sum().items() if v})
    gap_cells = close.loc[days].isna() & ~unlisted
    outlier_cells = grid.values(bars.assign(o=outlier), "o").loc[days].fillna(0.0).astype(bool)
    gaps = gap_cells & ~outlier_cells
    counts["gaps_filled"] = (int(gaps.to_numpy().sum()), {k: int(v) for k, v in gaps.sum().items() if v})
    output = _assemble(bars, grid, days, filled.loc[days], gap_cells, extras, rules)
    output = output[~unlisted.to_numpy().reshape(-1)].reset_index(drop=True)
    return CleaningResult(output, _report(counts, int(in_scope.sum()), len(output)))


def _assemble(bars, grid: Grid, days, close, filled_cells, extras, rules) -> pd.DataFrame:
    """Long output: raw fields on good cells; on filled cells open/high/low = close, volume = 0."""
    fields = {"close": close}
    for col in ("open", "high", "low", "volume"):
        values = grid.values(bars, col).loc[days] if col in bars.columns else close * np.nan
        fill_value = 0.0 if col == "volume" else close
        fields[col] = values.where(~filled_cells, fill_value)
    for col in extras:  # contract/yield carried forward on filled cells; prev_close = the carried close
        wide = grid.values(bars, col)
        carried = close if col == "prev_close" else wide.ffill(limit=rules.max_ffill_days).loc[days]
        fields[col] = wide.loc[days].where(~filled_cells, carried)
    ids = list(grid.ids)
    n_days, n_ids = len(days), len(ids)
    out = pd.DataFrame({"date": np.repeat(days.values, n_ids), "instrument_id": np.tile(ids, n_days)})
    for col in ("open", "high", "low", "close", "volume", *extras):
        out[col] = fields[col].to_numpy().reshape(-1)
    for col in ("open", "high", "low", "close", "volume"):
        out[col] = out[col].astype("float64")
    for col in FLOAT_OPTIONAL:
        if col in extras:
            out[col] = out[col].astype("float64")
    return out


def _empty_output(extras: list[str]) -> pd.DataFrame:
    from pairs_platform.data.sources.base import empty_bars
    return empty_bars(tuple(extras))


def _report(counts: dict[str, tuple[int, dict[str, int]]], rows_in: int, rows_out: int) -> dict[str, Any]:
    report: dict[str, Any] = {"rows_in": rows_in, "rows_out": rows_out}
    per_instrument: dict[str, dict[str, int]] = {}
    for rule in RULE_COUNTS:
        total, per = counts.get(rule, (0, {}))
        report[rule] = total
        for iid, n in per.items():
            per_instrument.setdefault(iid, {})[rule] = n
    report["per_instrument"] = per_instrument
    return report
