"""Intraday sources: synthetic (U-shaped volatility, planted pairs) and a files folder with a timezone."""
import numpy as np
import pandas as pd
import pytest

from pairs_platform.data.sources.intraday import INTRADAY_COLUMNS, IntradaySource
from pairs_platform.data.sources.intraday_files import IntradayFileSource
from pairs_platform.data.sources.synthetic_intraday import SyntheticIntradaySource

NY = "America/New_York"


@pytest.fixture(scope="module")
def synthetic_bars():
    return SyntheticIntradaySource(seed=7).fetch_intraday(["EQ:SYNA", "EQ:SYNB", "EQ:SYNF"],
                                                         "2024-01-02", "2024-03-28", "5min")


def test_synthetic_follows_the_nyse_calendar_and_is_seeded(synthetic_bars):
    assert isinstance(SyntheticIntradaySource(), IntradaySource)
    assert tuple(synthetic_bars.columns) == INTRADAY_COLUMNS
    per_session = synthetic_bars[synthetic_bars["instrument_id"] == "EQ:SYNA"].groupby("session").size()
    assert pd.Timestamp("2024-01-15") not in per_session.index  # MLK day
    assert set(per_session) == {78}
    again = SyntheticIntradaySource(seed=7).fetch_intraday(["EQ:SYNB"], "2024-02-05", "2024-02-05", "5min")
    same = synthetic_bars[(synthetic_bars["instrument_id"] == "EQ:SYNB") & (synthetic_bars["session"] == "2024-02-05")]
    np.testing.assert_array_equal(again["close"].to_numpy(), same["close"].to_numpy())
    other = SyntheticIntradaySource(seed=8).fetch_intraday(["EQ:SYNB"], "2024-02-05", "2024-02-05", "5min")
    assert not np.allclose(other["close"].to_numpy(), same["close"].to_numpy())


def test_synthetic_volatility_is_u_shaped(synthetic_bars):
    a = synthetic_bars[synthetic_bars["instrument_id"] == "EQ:SYNF"].copy()
    a["ret"] = np.log(a["close"] / a["open"])
    a["slot"] = a.groupby("session").cumcount()
    vol = a.groupby("slot")["ret"].std()
    edges = pd.concat([vol.iloc[:6], vol.iloc[-6:]]).mean()
    assert edges > 2.0 * vol.iloc[33:45].mean()


def test_synthetic_planted_pair_mean_reverts_intraday(synthetic_bars):
    wide = synthetic_bars.pivot(index="timestamp", columns="instrument_id", values="close")
    spread = np.log(wide["EQ:SYNB"]) - 1.0 * np.log(wide["EQ:SYNA"])
    unrelated = np.log(wide["EQ:SYNF"]) - 1.0 * np.log(wide["EQ:SYNA"])
    lag_corr = lambda s: np.corrcoef(s.diff().dropna()[1:], s.diff().dropna()[:-1])[0, 1]  # noqa: E731
    assert lag_corr(spread) < -0.01 and abs(lag_corr(unrelated)) < 0.05
    truth = SyntheticIntradaySource().ground_truth()
    assert set(truth["y"]) == {"EQ:SYNB", "EQ:SYND", "CRYPTO:ETH-USD"}


def test_files_source_reads_naive_timestamps_in_the_stated_timezone(tmp_path):
    stamps = pd.date_range("2022-11-25 09:35", "2022-11-25 13:00", freq="5min")
    pd.DataFrame({"timestamp": stamps.strftime("%Y-%m-%d %H:%M"), "close": np.linspace(10, 11, len(stamps))}
                 ).to_csv(tmp_path / "EQ_KO.csv", index=False)
    source = IntradayFileSource(tmp_path, NY)
    bars = source.fetch_intraday(["EQ:KO"], "2022-11-25", "2022-11-25", "5min")
    assert len(bars) == 42 and bars["timestamp"].iloc[0] == pd.Timestamp("2022-11-25 14:35", tz="UTC")
    assert (bars["session"] == pd.Timestamp("2022-11-25")).all()
    with pytest.raises(ValueError, match="not the requested bar_size"):
        source.fetch_intraday(["EQ:KO"], "2022-11-25", "2022-11-25", "1h")
    with pytest.raises(ValueError, match="outside every XNYS session"):
        IntradayFileSource(tmp_path, "UTC").fetch_intraday(["EQ:KO"], "2022-11-25", "2022-11-25", "5min")
    with pytest.raises(ValueError, match="IANA"):
        IntradayFileSource(tmp_path, "New York")


def test_files_source_reads_a_long_parquet_file_with_offsets(tmp_path):
    stamps = pd.date_range("2022-11-23 14:35", periods=6, freq="5min", tz="UTC")
    pd.DataFrame({"timestamp": list(stamps) * 2, "instrument_id": ["EQ:KO"] * 6 + ["EQ:PEP"] * 6,
                  "close": np.arange(12, dtype=float) + 10.0}).to_parquet(tmp_path / "bars.parquet")
    bars = IntradayFileSource(tmp_path, "Asia/Tokyo").fetch_intraday(["EQ:PEP"], "2022-11-23", "2022-11-23", "5min")
    assert len(bars) == 6 and bars["timestamp"].iloc[0] == stamps[0]  # tz-aware stamps ignore the folder zone
    assert bars["close"].tolist() == [16.0, 17.0, 18.0, 19.0, 20.0, 21.0]
