"""A files source with garbage rows stops the run with an error naming instrument, date and field."""
import dagster as dg
import pytest

from pairs_platform.data.calendar import trading_days
from pairs_platform.data.errors import DataQualityError
from pairs_platform.defs.shared.resources import PriceSourcesResource

from pairs_platform_tests.defs.graph_support import make_defs, run_range


def test_garbage_row_in_a_user_file_stops_the_run_with_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "EQ_KO.csv").write_text("date,close\n2022-03-01,60.1\n2022-03-02,abc\n2022-03-03,60.5\n")
    (folder / "EQ_PEP.csv").write_text("date,close\n2022-03-01,170.0\n2022-03-02,171.2\n2022-03-03,171.9\n")
    defs = make_defs(tmp_path, price_sources=PriceSourcesResource(equity="files", files_dir=str(folder)))
    with dg.instance_for_test() as instance, pytest.raises(DataQualityError) as error:
        run_range(defs, instance, "pairs_pipeline", "2022-03-01", "2022-03-03",
                  asset_selection=[dg.AssetKey("instruments"), dg.AssetKey(["raw_prices", "equity"])])
    message = str(error.value)
    assert "EQ:KO" in message and "2022-03-02" in message and "close" in message and "Fix" in message
    assert not (tmp_path / "assets" / "raw_prices" / "equity").exists()  # nothing half-written


def test_files_source_without_a_folder_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="files_dir"):
        PriceSourcesResource(equity="files").config().source_for("equity")


def test_a_users_own_instrument_comes_through_not_dropped(tmp_path, monkeypatch):
    from pairs_platform.data import default_instruments

    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    folder = tmp_path / "prices"
    folder.mkdir()
    row = default_instruments().loc[["EQ:KO"]].rename(index={"EQ:KO": "EQ:XYZ"}).assign(symbol="XYZ",
                                                                                       data_source="user")
    row.rename_axis("instrument_id").reset_index().to_csv(folder / "instruments.csv", index=False)
    march = trading_days("2022-03-01", "2022-03-31")  # a price partition is a month: the file covers it
    closes = [10.0, 10.5] + [10.2] * (len(march) - 2)
    (folder / "EQ_XYZ.csv").write_text("date,close\n" + "".join(f"{d.date()},{c}\n" for d, c in zip(march, closes)))
    defs = make_defs(tmp_path, price_sources=PriceSourcesResource(equity="files", files_dir=str(folder)))
    with dg.instance_for_test() as instance:
        result = run_range(defs, instance, "pairs_pipeline", "2022-03-01", "2022-03-03",
                           asset_selection=[dg.AssetKey("instruments"), dg.AssetKey(["raw_prices", "equity"])])
        raw = defs.load_asset_value(["raw_prices", "equity"], instance=instance, partition_key="2022-03")
    assert result.success
    assert set(raw["instrument_id"]) == {"EQ:XYZ"} and len(raw) == len(march)
    assert raw.loc[raw["date"] == "2022-03-02", "close"].tolist() == [10.5]
