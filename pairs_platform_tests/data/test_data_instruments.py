"""The one instrument table."""
import pandas as pd
import pytest

from pairs_platform.data import (
    INSTRUMENT_COLUMNS, DataQualityError, asset_class_of, default_instruments, instruments_from_csv,
    validate_instruments,
)
from pairs_platform.data.instruments import RollRule


def test_default_table_contract():
    table = default_instruments()
    assert table.index.name == "instrument_id" and table.index.is_unique
    assert list(table.columns) == list(INSTRUMENT_COLUMNS)
    assert set(table["asset_class"]) == {"equity", "future", "fixed_income", "crypto"}
    assert table["lot_size"].dtype == "float64" and table["shortable"].dtype == bool
    bundled = table[table["data_source"] == "bundled"]
    assert len(bundled) == 25 and (bundled["asset_class"] == "equity").all()  # 20 stocks, 5 ETFs
    assert (bundled["sector"] == "Equity Factors").sum() == 5 and table.at["EQ:USMV", "data_source"] == "bundled"
    assert set(table["data_source"]) == {"bundled", "synthetic"}
    assert table.at["EQ:AAPL", "exchange"] == "NASDAQ" and table.at["EQ:KO", "sector"] == "Consumer Staples"
    assert table.at["FUT:ES", "multiplier"] == 50.0 and table.at["FUT:ES", "roll_rule"] == "HMUZ:third_friday:5"
    assert table.at["CRYPTO:BTC-USD", "lot_size"] == 0.0001 and table.at["CRYPTO:BTC-USD", "calendar"] == "24/7"
    assert not table.loc[table["asset_class"] != "future", "roll_rule"].any()
    assert all(asset_class_of(i) == c for i, c in table["asset_class"].items())


@pytest.mark.parametrize("column, value, fragment", [
    ("asset_class", "stock", "unknown asset class"),
    ("tick_size", -0.01, "positive"),
    ("roll_rule", "quarterly", "cannot parse roll rule"),
    ("shortable", "maybe", "not a boolean"),
])
def test_validation_names_instrument_field_and_fix(column, value, fragment):
    table = default_instruments().reset_index()
    row = table.index[table["instrument_id"] == "FUT:CL"][0]
    table[column] = table[column].astype(object)
    table.loc[row, column] = value
    with pytest.raises(DataQualityError, match=fragment) as info:
        validate_instruments(table)
    assert info.value.instrument_id == "FUT:CL" and info.value.field == column and info.value.fix


def test_duplicates_prefixes_and_missing_columns_are_refused():
    table = default_instruments().reset_index()
    with pytest.raises(DataQualityError, match="duplicate"):
        validate_instruments(pd.concat([table, table.iloc[:1]]))
    with pytest.raises(DataQualityError, match="disagrees with the id prefix"):
        validate_instruments(table.assign(instrument_id=table["instrument_id"].replace("EQ:KO", "FUT:KO")))
    with pytest.raises(DataQualityError, match="lacks columns"):
        validate_instruments(table.drop(columns=["multiplier"]))
    with pytest.raises(DataQualityError, match="CLASS:SYMBOL"):
        asset_class_of("KO")


def test_csv_round_trip(tmp_path):
    table = default_instruments()
    path = tmp_path / "instruments.csv"
    table.drop(columns="data_source").to_csv(path)
    loaded = instruments_from_csv(path)
    assert (loaded["data_source"] == "user").all()
    pd.testing.assert_frame_equal(loaded.drop(columns="data_source"), table.drop(columns="data_source"))


def test_roll_rule_parse():
    rule = RollRule.parse("ZUHM:third_friday:5")
    assert (rule.months, rule.expiry, rule.roll_days) == ("HMUZ", "third_friday", 5)
