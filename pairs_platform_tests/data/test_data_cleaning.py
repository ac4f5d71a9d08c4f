"""Cleaning rules: each rule exercised, with its count checked; causality and bad input."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.data import (
    CleaningRules, DataQualityError, clean_bars, default_instruments, make_source, trading_days,
)
from pairs_platform.data.calendar import add_trading_days, session_for

INSTRUMENTS = default_instruments()
DAYS = trading_days("2021-03-01", "2021-03-31")
IDS = ["CRYPTO:BTC-USD", "EQ:SYNA", "EQ:SYNC", "FUT:CL"]


def raw_bars() -> pd.DataFrame:
    """Synthetic raw bars for March 2021 plus a lookback, as the raw store would hold them."""
    start = add_trading_days(DAYS[0], -CleaningRules().lookback_days)
    return make_source("synthetic").fetch(IDS, start, DAYS[-1])


def close_of(bars, iid, day):
    row = bars[(bars["instrument_id"] == iid) & (bars["date"] == pd.Timestamp(day))]
    assert len(row) == 1
    return float(row["close"].iloc[0])


def clean(raw, days=DAYS, **rules):
    return clean_bars(raw, days, INSTRUMENTS, CleaningRules(**rules))


def test_clean_data_passes_unchanged_with_exact_shape():
    raw = raw_bars()
    result = clean(raw)
    bars, report = result.bars, result.report
    assert len(bars) == len(DAYS) * len(IDS) == report["rows_out"]
    assert list(bars.columns) == ["date", "instrument_id", "open", "high", "low", "close", "volume",
                                  "contract", "prev_close"]
    assert bars.groupby("date").size().eq(len(IDS)).all() and set(bars["date"]) == set(DAYS)
    merged = bars.merge(raw, on=["date", "instrument_id"], suffixes=("", "_raw"))
    assert len(merged) == len(bars)  # every trading-day bar exists in raw and is kept as is
    np.testing.assert_array_equal(merged["close"], merged["close_raw"])
    for rule in ("duplicates_exact", "duplicates_conflicting", "non_numeric", "non_positive",
                 "outliers_replaced", "gaps_filled"):
        assert report[rule] == 0, rule
    btc = raw[raw["instrument_id"] == "CRYPTO:BTC-USD"]
    weekend = btc[~btc["date"].isin(DAYS) & session_for(btc["date"]).isin(DAYS)]
    assert report["off_calendar_bars"] == len(weekend) == 10  # Feb 27-28 fold into Mar 1, then 4 weekends


def test_exact_and_conflicting_duplicates():
    raw = raw_bars()
    day = pd.Timestamp("2021-03-10")
    rows = raw[raw["date"] == day]
    conflicting = rows[rows["instrument_id"] == "EQ:SYNA"]
    conflicting = conflicting.assign(close=conflicting["close"] * 1.01)  # a correction
    result = clean(pd.concat([raw, rows, conflicting], ignore_index=True))
    assert result.report["duplicates_exact"] == len(rows) == len(IDS)
    assert result.report["duplicates_conflicting"] == 1
    assert result.report["per_instrument"]["EQ:SYNA"]["duplicates_conflicting"] == 1
    assert close_of(result.bars, "EQ:SYNA", day) == float(conflicting["close"].iloc[0])  # last row wins
    with pytest.raises(DataQualityError, match=r"EQ:SYNA, date 2021-03-10, field 'close'"):
        clean(pd.concat([raw, conflicting], ignore_index=True), on_conflict="raise")


def test_conflicting_duplicate_prefers_the_usable_row():
    raw = raw_bars()
    bad = raw[(raw["instrument_id"] == "EQ:SYNA") & (raw["date"] == "2021-03-10")].assign(close=np.nan)
    result = clean(pd.concat([raw, bad], ignore_index=True))
    assert close_of(result.bars, "EQ:SYNA", "2021-03-10") == close_of(raw, "EQ:SYNA", "2021-03-10")
    assert result.report["duplicates_conflicting"] == 1 and result.report["gaps_filled"] == 0


def test_non_positive_and_non_numeric_prices_are_missing_then_filled():
    raw = raw_bars().astype({"close": object})
    syna, sync = raw["instrument_id"] == "EQ:SYNA", raw["instrument_id"] == "EQ:SYNC"
    raw.loc[syna & (raw["date"] == "2021-03-15"), "close"] = -4.0
    raw.loc[sync & (raw["date"] == "2021-03-16"), "close"] = "n/a"
    raw.loc[sync & (raw["date"] == "2021-03-17"), "close"] = 0
    result = clean(raw)
    report = result.report
    assert (report["non_positive"], report["non_numeric"], report["gaps_filled"]) == (2, 1, 3)
    assert close_of(result.bars, "EQ:SYNA", "2021-03-15") == float(raw.loc[syna & (raw["date"] == "2021-03-12"), "close"].iloc[0])
    assert close_of(result.bars, "EQ:SYNC", "2021-03-17") == float(raw.loc[sync & (raw["date"] == "2021-03-15"), "close"].iloc[0])
    filled = result.bars[(result.bars["instrument_id"] == "EQ:SYNC") & (result.bars["date"] == "2021-03-17")]
    assert filled["volume"].iloc[0] == 0 and filled["open"].iloc[0] == filled["close"].iloc[0]


@pytest.mark.parametrize("factor", [10.0, 0.1])
def test_one_day_spike_is_replaced_and_the_next_day_kept(factor):
    raw = raw_bars()
    syna = raw["instrument_id"] == "EQ:SYNA"
    raw.loc[syna & (raw["date"] == "2021-03-18"), "close"] *= factor
    result = clean(raw)
    assert result.report["outliers_replaced"] == 1 and result.report["gaps_filled"] == 0
    assert close_of(result.bars, "EQ:SYNA", "2021-03-18") == close_of(raw, "EQ:SYNA", "2021-03-17")
    assert close_of(result.bars, "EQ:SYNA", "2021-03-19") == close_of(raw, "EQ:SYNA", "2021-03-19")


def test_permanent_jump_is_held_one_day_then_accepted():
    raw = raw_bars()
    later = (raw["instrument_id"] == "EQ:SYNC") & (raw["date"] >= "2021-03-18")
    raw.loc[later, "close"] *= 3.0
    result = clean(raw)
    assert result.report["outliers_replaced"] == 1
    assert close_of(result.bars, "EQ:SYNC", "2021-03-18") == close_of(raw, "EQ:SYNC", "2021-03-17")
    for day in ("2021-03-19", "2021-03-31"):
        assert close_of(result.bars, "EQ:SYNC", day) == close_of(raw, "EQ:SYNC", day)


def test_futures_roll_gap_is_not_an_outlier():
    raw = raw_bars()
    cl = raw["instrument_id"] == "FUT:CL"
    new_contract = cl & (raw["date"] >= "2021-03-17")  # a 60% contango at an (invented) roll
    raw.loc[new_contract, ["close", "prev_close"]] *= 1.6
    raw.loc[new_contract, "contract"] = "CLX2099"
    assert clean(raw).report["outliers_replaced"] == 0
    assert clean(raw.drop(columns="prev_close")).report["outliers_replaced"] == 0


def test_gap_within_bound_is_filled_beyond_bound_raises():
    raw = raw_bars()
    gap = trading_days("2021-03-10", "2021-03-16")  # 5 trading days
    missing = (raw["instrument_id"] == "EQ:SYNA") & raw["date"].isin(gap)
    result = clean(raw[~missing])
    assert result.report["gaps_filled"] == 5 == result.report["per_instrument"]["EQ:SYNA"]["gaps_filled"]
    assert close_of(result.bars, "EQ:SYNA", "2021-03-16") == close_of(raw, "EQ:SYNA", "2021-03-09")
    longer = (raw["instrument_id"] == "EQ:SYNA") & raw["date"].isin(trading_days("2021-03-10", "2021-03-17"))
    with pytest.raises(DataQualityError) as info:
        clean(raw[~longer])
    err = info.value
    assert (err.instrument_id, err.date, err.field) == ("EQ:SYNA", pd.Timestamp("2021-03-17"), "close")
    assert "last usable bar 2021-03-09" in str(err) and "max_ffill_days" in str(err)
    assert clean(raw[~longer], max_ffill_days=6).report["gaps_filled"] == 6


def test_instrument_without_any_usable_bar_is_an_error_not_a_silent_drop():
    raw = raw_bars().astype({"close": object})
    raw.loc[raw["instrument_id"] == "EQ:SYNC", "close"] = "garbage"
    with pytest.raises(DataQualityError, match=r"EQ:SYNC, date 2021-03-01, field 'close'.*no usable bar"):
        clean(raw)


def test_crypto_weekend_bars_fold_into_the_next_session():
    raw = raw_bars()
    btc = raw["instrument_id"] == "CRYPTO:BTC-USD"
    monday = pd.Timestamp("2021-03-15")
    assert close_of(clean(raw).bars, "CRYPTO:BTC-USD", monday) == close_of(raw, "CRYPTO:BTC-USD", monday)
    without_monday = raw[~(btc & (raw["date"] == monday))]
    result = clean(without_monday)
    assert close_of(result.bars, "CRYPTO:BTC-USD", monday) == close_of(raw, "CRYPTO:BTC-USD", "2021-03-14")
    assert result.report["gaps_filled"] == 0  # Sunday's bar is a real bar of Monday's session


def test_stray_holiday_bar_of_an_equity_is_folded_and_counted():
    raw = raw_bars()
    good_friday = raw[(raw["instrument_id"] == "EQ:SYNA") & (raw["date"] == "2021-03-31")].assign(
        date=pd.Timestamp("2021-04-02"), close=1.0)
    days = trading_days("2021-03-29", "2021-04-05")
    extra = make_source("synthetic").fetch(IDS, "2021-04-01", "2021-04-05")
    result = clean(pd.concat([raw, extra, good_friday], ignore_index=True), days=days)
    # the equity's holiday bar + BTC's Mar 27-28 weekend (Mar 29 session) + Good Friday and weekend
    assert result.report["off_calendar_bars"] == 1 + 2 + 3
    assert result.report["per_instrument"]["EQ:SYNA"]["off_calendar_bars"] == 1
    assert close_of(result.bars, "EQ:SYNA", "2021-04-05") == close_of(extra, "EQ:SYNA", "2021-04-05")


def test_result_for_a_day_never_depends_on_later_bars_and_matches_partition_cleaning():
    raw = raw_bars()
    full = clean(raw).bars
    rules = CleaningRules()
    for day in DAYS[[0, 7, 15, -1]]:
        window = raw[raw["date"].between(add_trading_days(day, -rules.lookback_days), day)]
        one = clean(window, days=[day]).bars
        pd.testing.assert_frame_equal(one, full[full["date"] == day].reset_index(drop=True))
    future_garbage = raw[raw["date"] > "2021-03-20"].assign(close=-1.0)
    tampered = clean(pd.concat([raw[raw["date"] <= "2021-03-20"], future_garbage]),
                     days=DAYS[DAYS <= "2021-03-20"]).bars
    pd.testing.assert_frame_equal(tampered, full[full["date"] <= "2021-03-20"].reset_index(drop=True))


def test_bad_input_is_refused_with_names():
    raw = raw_bars()
    with pytest.raises(DataQualityError, match="EQ:UNKNOWN.*instrument table"):
        clean(pd.concat([raw, raw.iloc[:1].assign(instrument_id="EQ:UNKNOWN")]))
    with pytest.raises(DataQualityError, match="field 'date'"):
        clean(pd.concat([raw, raw.iloc[:1].assign(date=None)]))
    with pytest.raises(ValueError, match="not a trading day"):
        clean(raw, days=[pd.Timestamp("2021-03-13")])
    with pytest.raises(DataQualityError, match="lack columns"):
        clean(raw.drop(columns="close"))


def test_lookback_days_covers_the_rules():
    rules = CleaningRules()
    assert rules.lookback_days == rules.sigma_window + 2 + rules.max_ffill_days == 15


def test_partition_cleaning_equals_range_cleaning_on_messy_data():
    """Daily partitions (each with its lookback) and one long range agree, garbage and all."""
    rng = np.random.default_rng(5)
    rules = CleaningRules()
    days = trading_days("2021-01-04", "2021-06-30")
    raw = make_source("synthetic").fetch(IDS, add_trading_days(days[0], -rules.lookback_days), days[-1])
    raw = raw.astype({"close": object}).reset_index(drop=True)
    picks = rng.choice(len(raw), size=60, replace=False)
    raw.loc[picks[:15], "close"] = raw.loc[picks[:15], "close"].astype(float) * 12.0  # spikes
    raw.loc[picks[15:25], "close"] = -1.0
    raw.loc[picks[25:30], "close"] = "bad"
    dupes = raw.loc[picks[30:40]].assign(close=lambda f: f["close"].astype(float) * 1.001)
    messy = pd.concat([raw.drop(index=picks[40:60]), dupes], ignore_index=True)  # 20 gaps, 10 conflicts
    whole = clean_bars(messy, days, INSTRUMENTS, rules)
    assert whole.report["outliers_replaced"] >= 5 and whole.report["gaps_filled"] >= 20
    messy_dates = pd.to_datetime(messy["date"])
    for day in days[rng.choice(len(days), size=12, replace=False)]:
        window = messy[messy_dates.between(add_trading_days(day, -rules.lookback_days), day)]
        one = clean_bars(window, [day], INSTRUMENTS, rules).bars
        pd.testing.assert_frame_equal(one, whole.bars[whole.bars["date"] == day].reset_index(drop=True))


def test_empty_raw_gives_empty_result():
    result = clean(pd.DataFrame())
    assert result.bars.empty and result.report["rows_out"] == 0
    assert list(result.bars.columns[:7]) == ["date", "instrument_id", "open", "high", "low", "close", "volume"]


def _new_instrument(first_factor: float, bad_leading: int = 1) -> pd.DataFrame:
    """EQ:SYNA listed on 2021-03-01 (no earlier bar), its first ``bad_leading`` closes x factor."""
    raw = make_source("synthetic").fetch(["EQ:SYNA"], "2021-03-01", "2021-03-31")
    raw.loc[raw.index[:bad_leading], "close"] *= first_factor
    return raw


@pytest.mark.parametrize("factor, bad_leading", [(1000.0, 1), (0.001, 1), (1000.0, 2)])
def test_spike_on_a_new_instruments_first_bars_is_caught_and_the_good_bars_kept(factor, bad_leading):
    raw = _new_instrument(factor, bad_leading)
    days = DAYS[DAYS > raw["date"].iloc[bad_leading - 1]]
    result = clean(raw, days)
    for day in days[:3]:
        assert close_of(result.bars, "EQ:SYNA", day) == close_of(raw, "EQ:SYNA", day)  # not the spike
    assert result.report["outliers_replaced"] == 0  # the rejected bars are lookback, not requested days
    # the daily partition of the second bar (lookback = the first bar) agrees
    one = clean(raw[raw["date"] <= days[0]], days[:1])
    assert close_of(one.bars, "EQ:SYNA", days[0]) == close_of(raw, "EQ:SYNA", days[0])


def test_a_rejected_first_bar_on_a_requested_day_stops_with_the_fix():
    raw = _new_instrument(1000.0)
    with pytest.raises(DataQualityError) as info:
        clean(raw, DAYS)
    message = str(info.value)
    for piece in ("EQ:SYNA", "2021-03-01", "'close'", "first bar", "spike", "Fix: correct or delete"):
        assert piece in message, (piece, message)


def test_a_first_bar_with_no_later_bar_is_counted_as_unchecked():
    raw = _new_instrument(1.0)
    one = clean(raw[raw["date"] == DAYS[0]], DAYS[:1])
    assert one.report["first_bar_unchecked"] == 1
    assert one.report["per_instrument"]["EQ:SYNA"]["first_bar_unchecked"] == 1
    assert clean(raw).report["first_bar_unchecked"] == 0


def test_a_real_first_week_move_below_the_cap_is_not_a_first_bar_spike():
    raw = _new_instrument(1.0)
    raw.loc[raw.index[1:], "close"] *= 2.0  # +100% after the first day: log 0.69 < equity cap 1.0
    result = clean(raw, DAYS[1:])
    assert close_of(result.bars, "EQ:SYNA", DAYS[2]) == close_of(raw, "EQ:SYNA", DAYS[2])


@pytest.mark.parametrize("bad", [np.inf, -np.inf, "inf", "-Infinity"])
def test_infinite_close_is_non_numeric_not_an_outlier(bad):
    raw = raw_bars().astype({"close": object})
    raw.loc[(raw["instrument_id"] == "EQ:SYNA") & (raw["date"] == "2021-03-15"), "close"] = bad
    result = clean(raw)
    assert result.report["non_numeric"] == 1 and result.report["outliers_replaced"] == 0
    assert result.report["non_positive"] == 0 and result.report["gaps_filled"] == 1
    assert close_of(result.bars, "EQ:SYNA", "2021-03-15") == close_of(raw, "EQ:SYNA", "2021-03-12")
    assert np.isfinite(result.bars["close"]).all()


def test_infinite_volume_is_an_invalid_field():
    raw = raw_bars()
    raw.loc[raw.index[-1], "volume"] = np.inf
    result = clean(raw)
    assert result.report["other_fields_invalid"] == 1 and np.isfinite(result.bars["volume"].dropna()).all()


def test_an_instrument_listed_inside_the_range_starts_at_its_first_bar_and_later_gaps_still_stop():
    raw = pd.concat([make_source("synthetic").fetch(["EQ:SYNC"], "2021-03-01", "2021-03-31"),
                     _new_instrument(1.0)[lambda f: f["date"] >= "2021-03-10"]], ignore_index=True)
    result = clean(raw, DAYS)
    syna = result.bars[result.bars["instrument_id"] == "EQ:SYNA"]
    assert pd.Timestamp(syna["date"].min()) == pd.Timestamp("2021-03-10") and syna["close"].notna().all()
    assert result.report["not_listed_yet"] == int((DAYS < "2021-03-10").sum()) > 0
    assert result.report["gaps_filled"] == 0
    holed = raw[~((raw["instrument_id"] == "EQ:SYNA") & raw["date"].between("2021-03-15", "2021-03-25"))]
    with pytest.raises(DataQualityError, match="EQ:SYNA"):
        clean(holed, DAYS)  # after its first bar a missing stretch is a gap, as before
