"""NYSE trading calendar rules."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.data.calendar import (
    add_trading_days, is_trading_day, next_trading_day, nyse_holidays, previous_trading_day, session_for,
    trading_days,
)

CLOSED = ["2022-06-20", "2022-01-17", "2020-07-03", "2021-12-24", "2012-10-29",
          "2012-10-30", "2001-09-11", "2001-09-14", "2024-03-29", "1998-01-19", "2018-12-05", "2025-01-09",
          "2007-01-02", "2004-06-11", "1994-04-27", "2023-01-02", "2017-01-02", "2022-12-26", "2015-11-26",
          "2016-02-15", "2019-05-27", "2019-09-02", "2021-07-05"]
OPEN = ["2021-12-31", "2010-12-31", "1999-12-31", "1997-01-20", "2021-06-18", "2021-06-21", "2001-09-17",
        "2024-03-28", "2024-04-01", "2023-12-22", "2004-06-10", "2022-12-27"]


@pytest.mark.parametrize("day", CLOSED)
def test_closed_days(day):
    assert not is_trading_day(day)


@pytest.mark.parametrize("day", OPEN)
def test_open_days(day):
    assert is_trading_day(day)


def test_holiday_counts_and_years():
    assert len(trading_days("2023-01-01", "2023-12-31")) == 250
    assert len(trading_days("2022-01-01", "2022-12-31")) == 251
    assert pd.Timestamp("2022-06-20").date() in nyse_holidays(2022)
    assert all(d.weekday() < 5 for y in range(1990, 2031) for d in nyse_holidays(y))


def test_trading_days_contract():
    days = trading_days("2024-03-27", "2024-04-02")
    assert days.name == "date" and days.dtype == "datetime64[ns]"
    assert list(days.strftime("%Y-%m-%d")) == ["2024-03-27", "2024-03-28", "2024-04-01", "2024-04-02"]
    assert len(trading_days("2024-04-02", "2024-04-01")) == 0


def test_session_and_neighbours_scalar_and_vector():
    assert session_for("2024-03-30") == pd.Timestamp("2024-04-01")  # Saturday before Easter Monday
    assert session_for("2024-03-29") == pd.Timestamp("2024-04-01")  # Good Friday
    assert session_for(pd.Timestamp("2024-04-02 15:30")) == pd.Timestamp("2024-04-02")
    dates = pd.DatetimeIndex(["2024-03-28", "2024-03-29", "2024-03-30", "2024-03-31", "2024-04-01"])
    assert list(session_for(dates).day) == [28, 1, 1, 1, 1]
    assert list(next_trading_day(dates).day) == [1, 1, 1, 1, 2]
    assert list(previous_trading_day(dates).day) == [27, 28, 28, 28, 28]
    assert isinstance(is_trading_day(dates), np.ndarray)
    assert add_trading_days("2024-03-28", 1) == pd.Timestamp("2024-04-01")
    assert add_trading_days("2024-04-01", -2) == pd.Timestamp("2024-03-27")


def test_out_of_range_and_missing_dates_are_refused():
    with pytest.raises(ValueError, match="1970"):
        trading_days("1960-01-01", "1961-01-01")
    with pytest.raises(ValueError, match="NaT"):
        session_for(pd.DatetimeIndex(["2020-01-02", None]))


def test_neighbours_agree_with_brute_force_over_random_dates():
    rng = np.random.default_rng(11)
    dates = pd.DatetimeIndex(pd.Timestamp("1990-01-01") + pd.to_timedelta(rng.integers(0, 14000, 3000), "D"))
    days = trading_days("1989-12-01", "2028-12-31")
    pos = days.searchsorted(dates)  # first trading day >= date
    on_day = days[np.minimum(pos, len(days) - 1)] == dates
    np.testing.assert_array_equal(is_trading_day(dates), on_day)
    np.testing.assert_array_equal(session_for(dates), days[pos])
    np.testing.assert_array_equal(next_trading_day(dates), days[pos + on_day])
    np.testing.assert_array_equal(previous_trading_day(dates), days[pos - 1])


def test_library_trading_days_equal_the_former_hand_written_rules_1990_2030():
    """The exchange_calendars XNYS sessions equal the platform's former hand-written NYSE rules."""
    from nyse_rules_reference import reference_trading_days

    library = trading_days("1990-01-01", "2030-12-31")
    reference = reference_trading_days("1990-01-01", "2030-12-31")
    only_library = library.difference(reference)
    only_reference = reference.difference(library)
    assert list(only_library) == [] and list(only_reference) == [], (only_library, only_reference)
    assert len(library) == 10_322  # measured: 41 years of NYSE sessions


@pytest.mark.parametrize("day", ["2001-09-11", "2001-09-12", "2001-09-13", "2001-09-14", "2012-10-29",
                                 "2012-10-30", "2018-12-05", "2025-01-09"])
def test_one_off_closures_come_from_the_library(day):
    assert not is_trading_day(day)
