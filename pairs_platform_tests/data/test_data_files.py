"""The files source: layouts, round trip, and garbage rows stopping with a clear error."""
import pandas as pd
import pytest

from pairs_platform.data import DataQualityError, FileSource, make_source


def _bars(source_name="synthetic"):
    src = make_source(source_name)
    return src.fetch(["EQ:SYNA", "FUT:CL", "CRYPTO:BTC-USD"], "2021-03-01", "2021-03-31")


def test_one_file_per_instrument_round_trip(tmp_path):
    bars = _bars()
    for iid, frame in bars.groupby("instrument_id"):
        frame = frame.drop(columns="instrument_id")
        name = iid.replace(":", "_")
        if iid.startswith("CRYPTO"):
            frame.to_parquet(tmp_path / f"{name}.parquet")
        else:
            frame.rename(columns=str.capitalize).to_csv(tmp_path / f"{name}.csv", index=False)
    source = make_source("files", path=str(tmp_path))
    assert source.instrument_ids() == ["CRYPTO:BTC-USD", "EQ:SYNA", "FUT:CL"]
    assert source.instrument_ids("future") == ["FUT:CL"]
    got = source.fetch(source.instrument_ids(), "2021-03-01", "2021-03-31")
    expected = bars[got.columns.drop("yield", errors="ignore")] if "yield" in got.columns else bars[got.columns]
    pd.testing.assert_frame_equal(got.drop(columns="contract"), expected.drop(columns="contract"),
                                  check_exact=False, rtol=1e-12)
    assert (got["contract"].fillna("") == bars["contract"].fillna("")).all()
    window = source.fetch(["EQ:SYNA"], "2021-03-10", "2021-03-12")
    assert list(window["date"].dt.day) == [10, 11, 12]


def test_long_file_with_instrument_column(tmp_path):
    bars = _bars()
    bars[["date", "instrument_id", "close"]].to_csv(tmp_path / "all_prices.csv.gz", index=False)
    source = FileSource(tmp_path)
    got = source.fetch(["EQ:SYNA"], "2021-03-01", "2021-03-31")
    assert len(got) == 23 and got["open"].isna().all()
    pd.testing.assert_series_equal(got["close"], bars.loc[bars["instrument_id"] == "EQ:SYNA", "close"]
                                   .reset_index(drop=True), check_exact=False, rtol=1e-12)


def test_empty_price_cell_is_a_gap_not_an_error(tmp_path):
    (tmp_path / "EQ_KO.csv").write_text("date,close\n2020-01-02,10\n2020-01-03,\n2020-01-06,11\n")
    got = FileSource(tmp_path).fetch(["EQ:KO"], "2020-01-01", "2020-01-31")
    assert got["close"].isna().tolist() == [False, True, False]


@pytest.mark.parametrize("content, field, date, fragment", [
    ("date,close\n2020-01-02,10\n2020-01-03,abc\n", "close", "2020-01-03", "not a number: 'abc'"),
    ("date,close,volume\n2020-01-02,10,5\n2020-01-03,11,lots\n", "volume", "2020-01-03", "'lots'"),
    ("date,close\n2020-01-02,10\n,11\n", "date", "<no date>", "missing date"),
    ("date,close\n2020-01-02,10\n2020-13-45,11\n", "date", "<no date>", "unparseable date '2020-13-45'"),
])
def test_garbage_rows_raise_naming_file_row_instrument_date_field(tmp_path, content, field, date, fragment):
    (tmp_path / "EQ_KO.csv").write_text(content)
    with pytest.raises(DataQualityError) as info:
        FileSource(tmp_path).fetch(["EQ:KO"], "2020-01-01", "2020-12-31")
    err, message = info.value, str(info.value)
    assert err.instrument_id == "EQ:KO" and err.field == field
    for piece in ("EQ:KO", f"'{field}'", date, fragment, "EQ_KO.csv", "line 3", "Fix:"):
        assert piece in message, (piece, message)


def test_garbage_in_long_parquet_file_names_instrument(tmp_path):
    frame = pd.DataFrame({"date": ["2020-01-02", "2020-01-03"], "instrument_id": ["EQ:A", "FUT:CL"],
                          "close": ["1.5", "n/a"]})
    frame.to_parquet(tmp_path / "prices.parquet")
    with pytest.raises(DataQualityError, match=r"FUT:CL, date 2020-01-03, field 'close'.*row 1"):
        FileSource(tmp_path).instrument_ids()


def test_bad_file_name_and_bad_directory(tmp_path):
    (tmp_path / "KO.csv").write_text("date,close\n2020-01-02,10\n")
    with pytest.raises(DataQualityError, match="CLASS>_<SYMBOL"):
        FileSource(tmp_path).instrument_ids()
    with pytest.raises(FileNotFoundError, match="not a directory"):
        FileSource(tmp_path / "nope")


def test_unknown_instrument_is_refused(tmp_path):
    (tmp_path / "EQ_KO.csv").write_text("date,close\n2020-01-02,10\n")
    with pytest.raises(KeyError, match="EQ:PEP"):
        FileSource(tmp_path).fetch(["EQ:PEP"], "2020-01-01", "2020-01-31")


def test_instrument_table_beside_the_prices(tmp_path):
    (tmp_path / "EQ_KO.csv").write_text("date,close\n2020-01-02,10\n")
    (tmp_path / "EQ_ZZZ.csv").write_text("date,close\n2020-01-02,10\n")
    source = FileSource(tmp_path)
    with pytest.raises(KeyError, match="EQ:ZZZ"):
        source.instruments()
    (tmp_path / "instruments.csv").write_text(
        "instrument_id,symbol,asset_class,currency,exchange,calendar,multiplier,tick_size,lot_size,shortable\n"
        "EQ:KO,KO,equity,USD,NYSE,NYSE,1,0.01,1,true\nEQ:ZZZ,ZZZ,equity,USD,NYSE,NYSE,1,0.01,1,false\n")
    table = FileSource(tmp_path).instruments()
    assert list(table.index) == ["EQ:KO", "EQ:ZZZ"] and table.at["EQ:ZZZ", "shortable"] == False  # noqa: E712
    assert FileSource(tmp_path).instrument_ids() == ["EQ:KO", "EQ:ZZZ"]  # instruments.csv is not prices
