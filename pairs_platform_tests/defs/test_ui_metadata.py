"""What the Dagster UI shows: typed table previews, rounded numbers, each partition's own figures."""
import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from pairs_platform.identifiers import ASSET_CLASSES
from pairs_platform.defs.shared.metadata import frame_metadata, money, ratio, table_preview


def test_a_pipe_in_a_value_keeps_the_preview_columns():
    frame = pd.DataFrame({"pair_id": ["EQ:KO|EQ:PEP", "EQ:XOM|EQ:CVX"], "beta": [0.812345678, 1.5],
                          "date": pd.to_datetime(["2022-01-03", "2022-01-04"])})
    preview = frame_metadata(frame)["preview"]
    assert isinstance(preview, dg.TableMetadataValue)
    assert [c.name for c in preview.schema.columns] == ["pair_id", "beta", "date"]
    assert [c.type for c in preview.schema.columns] == ["string", "float", "datetime"]
    assert preview.records[0].data == {"pair_id": "EQ:KO|EQ:PEP", "beta": 0.8123, "date": "2022-01-03"}


def test_a_named_index_becomes_the_first_column_and_rows_are_the_last_ones():
    frame = pd.DataFrame({"beta": [1.0, 2.0, 3.0]}, index=pd.Index(["a|b", "c|d", "e|f"], name="pair_id"))
    preview = table_preview(frame, rows=2)
    assert [c.name for c in preview.schema.columns] == ["pair_id", "beta"]
    assert [r.data["pair_id"] for r in preview.records] == ["c|d", "e|f"]


def test_cells_are_plain_values_and_an_unnamed_position_index_is_dropped():
    frame = pd.DataFrame({"a": [1.23456, float("nan"), float("inf")], "b": [1, 2, 3], "c": ["x|y", None, "z"],
                          "t": pd.to_datetime(["2022-01-03", None, "2022-01-05"])}, index=[7, 8, 9])
    records = [r.data for r in table_preview(frame).records]
    assert records[0] == {"a": 1.2346, "b": 1, "c": "x|y", "t": "2022-01-03"}
    assert records[1] == {"a": None, "b": 2, "c": None, "t": None} and records[2]["a"] == "inf"


def test_money_is_rounded_to_cents_and_ratios_to_four_places():
    assert money(1055142.7330613213) == 1055142.73
    assert ratio(0.123456789) == 0.1235


def test_each_partition_of_a_ranged_run_shows_its_own_figures(tmp_path, monkeypatch):
    from pairs_platform_tests.defs.graph_support import make_defs, run_range

    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    defs = make_defs(tmp_path)
    with dg.instance_for_test() as instance:
        result = run_range(defs, instance, "pairs_pipeline", "2022-02-01", "2022-03-03",
                           asset_selection=[dg.AssetKey("instruments"), dg.AssetKey("cleaned_prices"),
                                            *(dg.AssetKey(["raw_prices", c]) for c in ASSET_CLASSES)])
    events = result.asset_materializations_for_node("cleaned_prices")
    assert sorted(e.partition for e in events) == ["2022-02", "2022-03"]
    expected = {"2022-02": ("2022-02-01", "2022-02-28", 19), "2022-03": ("2022-03-01", "2022-03-31", 23)}
    for event in events:
        stored = pd.read_parquet(tmp_path / "assets" / "cleaned_prices" / f"{event.partition}.parquet")
        meta = event.metadata
        assert (meta["first_date"].value, meta["last_date"].value, meta["sessions"].value) == expected[event.partition]
        assert meta["dagster/row_count"].value == len(stored) == meta["rows"].value
        assert {r.data["date"][:7] for r in meta["preview"].records} == {event.partition}
    raw = result.asset_materializations_for_node("raw_prices__equity")
    assert {e.partition: e.metadata["last_date"].value for e in raw} == {"2022-02": "2022-02-28",
                                                                         "2022-03": "2022-03-31"}


def test_partitions_can_be_bounded_to_the_data_that_exists():
    import pytest

    from pairs_platform.defs.shared.partitions import build_month_partitions, build_partitions, partition_bounds

    bounds = partition_bounds({"PAIRS_PARTITIONS_START": "2018-01-02", "PAIRS_PARTITIONS_END": "2022-12-28"})
    keys = build_partitions(*bounds).get_partition_keys()
    assert (keys[0], keys[-1], len(keys)) == ("2018-01-02", "2022-12-28", 1257)
    assert partition_bounds({}) == ("1990-01-02", None)
    months = build_month_partitions(*bounds).get_partition_keys()
    assert (months[0], months[-1], len(months)) == ("2018-01", "2022-12", 60)
    # the month in progress exists on its sessions' evenings (the after-close schedule materializes it)
    evening = dt.datetime(2022, 12, 28, 18, 30, tzinfo=ZoneInfo("America/New_York"))
    assert build_month_partitions(*bounds).get_partition_keys(current_time=evening)[-1] == "2022-12"
    for bad in ({"PAIRS_PARTITIONS_END": "28/12/2022"}, {"PAIRS_PARTITIONS_START": "2022-01-03",
                                                         "PAIRS_PARTITIONS_END": "2021-01-04"}):
        with pytest.raises(ValueError, match="PAIRS_PARTITIONS_"):
            partition_bounds(bad)
