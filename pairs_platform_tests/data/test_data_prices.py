"""Wide prices, continuous futures without look-ahead, and normalizers."""
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from pairs_platform.data import (
    DataQualityError, clean_bars, continuous_futures, default_instruments, log_prices, make_source,
    normalized_index, returns, to_wide, trading_days,
)

INSTRUMENTS = default_instruments()


def futures_bars(start="2020-01-02", end="2021-12-31"):
    days = trading_days(start, end)
    raw = make_source("synthetic").fetch(["FUT:CL", "FUT:ES", "EQ:SYNA"], "2019-12-01", end)
    return clean_bars(raw, days, INSTRUMENTS).bars


BARS = futures_bars()


def test_to_wide_contract():
    wide = to_wide(BARS)
    assert wide.index.name == "date" and wide.index.dtype == "datetime64[ns]"
    assert list(wide.columns) == ["EQ:SYNA", "FUT:CL", "FUT:ES"] and wide.columns.name is None
    assert wide.index.is_monotonic_increasing and wide.index.is_unique
    assert (wide.dtypes == "float64").all() and (wide > 0).all().all()
    with pytest.raises(DataQualityError, match="duplicate"):
        to_wide(pd.concat([BARS, BARS.iloc[:1]]))


def test_continuous_removes_roll_gaps_and_keeps_within_contract_returns():
    cont = to_wide(continuous_futures(BARS, INSTRUMENTS))
    raw = to_wide(BARS)
    contract = BARS.pivot(index="date", columns="instrument_id", values="contract")
    prev_close = BARS.pivot(index="date", columns="instrument_id", values="prev_close")
    for iid in ("FUT:CL", "FUT:ES"):
        rolled = contract[iid].ne(contract[iid].shift()) & contract[iid].shift().notna()
        assert rolled.sum() >= 8  # CL rolls monthly, ES quarterly
        cont_ret, raw_ret = np.log(cont[iid]).diff(), np.log(raw[iid]).diff()
        np.testing.assert_allclose(cont_ret[~rolled].iloc[1:], raw_ret[~rolled].iloc[1:], atol=1e-12)
        own = np.log(raw[iid] / prev_close[iid])
        np.testing.assert_allclose(cont_ret[rolled], own[rolled], atol=1e-12)
        assert not np.allclose(raw_ret[rolled], own[rolled])  # there was a gap to remove
        assert cont[iid].iloc[0] == raw[iid].iloc[0]  # forward adjustment starts at the real price
    pd.testing.assert_series_equal(cont["EQ:SYNA"], raw["EQ:SYNA"])  # non-futures untouched


def test_continuous_without_prev_close_counts_roll_day_as_flat():
    cont = to_wide(continuous_futures(BARS.drop(columns="prev_close"), INSTRUMENTS))
    contract = BARS.pivot(index="date", columns="instrument_id", values="contract")["FUT:CL"]
    rolled = contract.ne(contract.shift()) & contract.shift().notna()
    assert (np.log(cont["FUT:CL"]).diff()[rolled].abs() < 1e-12).all()


@settings(max_examples=15, deadline=None)
@given(cut=st.integers(min_value=5, max_value=480), scale=st.floats(min_value=0.2, max_value=5.0))
def test_continuous_has_no_look_ahead(cut, scale):
    """Values up to day t never change when data after t is removed or altered."""
    full = to_wide(continuous_futures(BARS, INSTRUMENTS))
    t = full.index[cut]
    truncated = to_wide(continuous_futures(BARS[BARS["date"] <= t], INSTRUMENTS))
    pd.testing.assert_frame_equal(truncated, full.loc[:t])
    altered = BARS.copy()
    later = altered["date"] > t
    altered.loc[later, ["open", "high", "low", "close", "prev_close"]] *= scale
    altered.loc[later & (altered["instrument_id"] == "FUT:CL"), "contract"] = "CLZ2099"
    pd.testing.assert_frame_equal(to_wide(continuous_futures(altered, INSTRUMENTS)).loc[:t], full.loc[:t])


def test_normalizers():
    wide = pd.DataFrame({"A": [np.nan, 10.0, 11.0, 12.1], "B": [2.0, 1.0, 4.0, 2.0]},
                        index=pd.DatetimeIndex(pd.date_range("2020-01-01", periods=4), name="date"))
    idx = normalized_index(wide)
    assert idx["A"].iloc[1] == 1.0 and idx["B"].iloc[0] == 1.0 and idx["A"].iloc[3] == pytest.approx(1.21)
    np.testing.assert_allclose(returns(wide, "simple")["A"].iloc[2:], [0.1, 0.1])
    np.testing.assert_allclose(returns(wide)["B"].iloc[1:], np.log([0.5, 4.0, 0.5]))
    np.testing.assert_allclose(log_prices(wide)["B"], np.log(wide["B"]))
    with pytest.raises(ValueError, match="> 0"):
        log_prices(wide - 5)
    with pytest.raises(ValueError, match="kind"):
        returns(wide, "weird")
