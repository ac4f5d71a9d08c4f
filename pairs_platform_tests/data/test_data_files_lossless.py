"""Files that lose nothing: every way a user folder used to drop an instrument or misplace a close
now stops with an error naming the file, instrument, date, field and fix."""
import gzip

import pandas as pd
import pytest

from pairs_platform.data import FileSource, default_instruments, make_source, trading_days
from pairs_platform.data.errors import DataInputError, DataQualityError

INSTRUMENTS_HEADER = ("instrument_id,symbol,asset_class,currency,exchange,calendar,multiplier,tick_size,"
                      "lot_size,shortable")


def _instruments_csv(folder, *ids, date_format=None):
    rows = [f"{i},{i.split(':')[1]},equity,USD,NYSE,NYSE,1,0.01,1,true" for i in ids]
    header = INSTRUMENTS_HEADER
    if date_format is not None:
        header += ",date_format"
        rows = [f"{row},{date_format}" for row in rows]
    (folder / "instruments.csv").write_text("\n".join([header, *rows]) + "\n")


def _message(info) -> str:
    return str(info.value)


def test_header_only_price_file_is_refused_not_dropped(tmp_path):
    (tmp_path / "EQ_KO.csv").write_text("date,close\n2020-01-02,10\n")
    (tmp_path / "EQ_PEP.csv").write_text("date,close\n")
    with pytest.raises(DataInputError) as info:
        FileSource(tmp_path).instrument_ids()
    message = _message(info)
    for piece in ("EQ:PEP", "field 'file'", "header but no rows", "EQ_PEP.csv", "Fix: add the rows"):
        assert piece in message, (piece, message)


def test_price_file_without_its_instruments_csv_row_is_refused(tmp_path):
    (tmp_path / "EQ_KO.csv").write_text("date,close\n2020-01-02,10\n")
    (tmp_path / "EQ_ZZZ.csv").write_text("date,close\n2020-01-02,10\n")
    _instruments_csv(tmp_path, "EQ:ZZZ")
    with pytest.raises(DataInputError) as info:
        FileSource(tmp_path).instruments()
    message = _message(info)
    for piece in ("EQ:KO", "field 'instrument_id'", "EQ_KO.csv", "no row in", "instruments.csv",
                  "Fix: add a row"):
        assert piece in message, (piece, message)
    assert info.value.instrument_id == "EQ:KO"


def _day_first_year(folder, name="EQ_KO.csv", fmt="%d/%m/%Y"):
    days = trading_days("2022-01-03", "2022-12-30")
    closes = pd.Series(range(len(days)), index=days, dtype=float) + 100.0
    pd.DataFrame({"date": days.strftime(fmt), "close": closes.to_numpy()}).to_csv(folder / name, index=False)
    return closes


def test_day_first_dates_are_refused_until_the_format_is_stated(tmp_path):
    closes = _day_first_year(tmp_path)
    assert len(closes) == 251
    with pytest.raises(DataInputError) as info:
        FileSource(tmp_path).instrument_ids()
    message = _message(info)
    for piece in ("EQ:KO", "field 'date'", "ambiguous date '03/01/2022'", "month-first it is 2022-03-01",
                  "day-first 2022-01-03", "EQ_KO.csv, line 2", "date_format", "'%d/%m/%Y'", "YYYY-MM-DD"):
        assert piece in message, (piece, message)


@pytest.mark.parametrize("how", ["instruments_csv", "option"])
def test_a_stated_day_first_format_puts_every_close_on_its_date(tmp_path, how):
    closes = _day_first_year(tmp_path)
    if how == "instruments_csv":
        _instruments_csv(tmp_path, "EQ:KO", date_format="%d/%m/%Y")
        source = FileSource(tmp_path)
        assert "EQ:KO" in source.instruments().index  # the extra column does not upset the table
    else:
        source = make_source("files", path=str(tmp_path), date_format="%d/%m/%Y")
    got = source.fetch(["EQ:KO"], "2022-01-01", "2022-12-31").set_index("date")["close"]
    pd.testing.assert_series_equal(got, closes, check_names=False, check_freq=False)


def test_a_date_not_matching_the_stated_format_names_it(tmp_path):
    (tmp_path / "EQ_KO.csv").write_text("date,close\n31/01/2022,10\n2022-02-01,11\n")
    with pytest.raises(DataInputError, match=r"EQ:KO.*'2022-02-01' does not match the stated date_format "
                                             r"'%d/%m/%Y'.*line 3"):
        make_source("files", path=str(tmp_path), date_format="%d/%m/%Y").instrument_ids()


def test_unambiguous_non_iso_dates_are_accepted(tmp_path):
    (tmp_path / "EQ_KO.csv").write_text("date,close\n31/01/2022,10\n2022/02/01,11\nFeb 2 2022,12\n"
                                        "2022-02-03,13\n")
    got = FileSource(tmp_path).fetch(["EQ:KO"], "2022-01-01", "2022-12-31")
    assert got["date"].dt.strftime("%Y-%m-%d").tolist() == ["2022-01-31", "2022-02-01", "2022-02-02",
                                                            "2022-02-03"]


def test_month_first_file_is_told_the_month_first_format(tmp_path):
    (tmp_path / "EQ_KO.csv").write_text("date,close\n01/31/2022,10\n02/01/2022,11\n")
    with pytest.raises(DataInputError, match=r"ambiguous date '02/01/2022'.*line 3.*'%m/%d/%Y'"):
        FileSource(tmp_path).instrument_ids()


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


@pytest.mark.parametrize("name, content, fragment", [
    ("EQ_KO.csv", b"", "the file is empty"),
    ("EQ_KO.csv", b"date,close\n2020-01-02,10\n2020-01-03,11,12\n", "Expected 2 fields in line 3, saw 3"),
    ("EQ_KO.csv.gz", _truncated(gzip.compress(b"date,close\n" + b"2020-01-02,10\n" * 2000, mtime=0)), "truncated"),
    ("EQ_KO.parquet", None, "truncated"),
], ids=["empty", "extra_field", "truncated_gz", "truncated_parquet"])
def test_unreadable_files_name_the_file_and_the_fix(tmp_path, name, content, fragment):
    if content is None:
        frame = pd.DataFrame({"date": pd.date_range("2020-01-02", periods=500), "close": 10.0})
        frame.to_parquet(tmp_path / "full.parquet")
        content = _truncated((tmp_path / "full.parquet").read_bytes())
        (tmp_path / "full.parquet").unlink()
    (tmp_path / name).write_bytes(content)
    with pytest.raises(DataInputError) as info:
        FileSource(tmp_path).instrument_ids()
    message = _message(info)
    for piece in ("EQ:KO", "field 'file'", fragment, name, "Fix:"):
        assert piece in message, (piece, message)


@pytest.mark.parametrize("value", ["inf", "-inf", "Infinity"])
def test_infinite_price_in_a_file_is_not_a_number(tmp_path, value):
    (tmp_path / "EQ_KO.csv").write_text(f"date,close\n2020-01-02,10\n2020-01-03,{value}\n")
    with pytest.raises(DataQualityError, match=rf"EQ:KO, date 2020-01-03, field 'close': not a finite "
                                               rf"number: '{value}'.*line 3.*Fix"):
        FileSource(tmp_path).instrument_ids()


def test_users_own_instrument_with_its_row_still_comes_through(tmp_path):
    row = default_instruments().loc[["EQ:KO"]].rename(index={"EQ:KO": "EQ:XYZ"}).assign(symbol="XYZ")
    row.rename_axis("instrument_id").reset_index().to_csv(tmp_path / "instruments.csv", index=False)
    (tmp_path / "EQ_XYZ.csv").write_text("date,close\n2022-03-01,10.0\n")
    assert list(FileSource(tmp_path).instruments().index) == ["EQ:XYZ"]


def test_an_unreadable_instruments_csv_names_it(tmp_path):
    (tmp_path / "EQ_KO.csv").write_text("date,close\n2020-01-02,10\n")
    (tmp_path / "instruments.csv").write_text("")
    with pytest.raises(DataInputError, match=r"field 'file': the file is empty.*instruments.csv"):
        FileSource(tmp_path).instrument_ids()
