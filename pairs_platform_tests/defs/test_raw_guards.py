"""Raw prices refuse what would silently lose data: a session past a source's end, a vanished instrument."""
import dagster as dg
import pandas as pd
import pytest

from pairs_platform.data.calendar import trading_days
from pairs_platform.data.errors import DataInputError
from pairs_platform.defs.shared.resources import PriceSourcesResource

from pairs_platform_tests.defs.graph_support import make_defs, run_range

RAW_EQUITY = [dg.AssetKey("instruments"), dg.AssetKey(["raw_prices", "equity"])]


def _files(tmp_path, closes: dict[str, list[tuple[str, float]]]):
    folder = tmp_path / "prices"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.csv"):
        old.unlink()
    for symbol, rows in closes.items():
        body = "".join(f"{day},{close}\n" for day, close in rows)
        (folder / f"EQ_{symbol}.csv").write_text("date,close\n" + body)
    return make_defs(tmp_path, price_sources=PriceSourcesResource(equity="files", files_dir=str(folder)))


# Price partitions are months: the files cover every session of March 2022.
MARCH = [str(d.date()) for d in trading_days("2022-03-01", "2022-03-31")]
KO = [(day, 60.1 + 0.1 * i) for i, day in enumerate(MARCH)]
PEP = [(day, 170.0 + 0.5 * i) for i, day in enumerate(MARCH)]


def test_a_session_after_the_sources_last_bar_is_refused_not_filled(tmp_path, monkeypatch):
    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    defs = _files(tmp_path, {"KO": KO, "PEP": PEP[:1]})
    with dg.instance_for_test() as instance, pytest.raises(DataInputError) as error:
        run_range(defs, instance, "pairs_pipeline", "2022-03-01", "2022-03-03", asset_selection=RAW_EQUITY)
    assert error.value.instrument_id == "EQ:PEP"
    assert "last bar is 2022-03-01" in str(error.value) and "PAIRS_PARTITIONS_END" in str(error.value)
    assert not (tmp_path / "assets" / "raw_prices" / "equity").exists()


def test_a_gap_inside_the_range_is_not_an_ended_source(tmp_path, monkeypatch):
    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    defs = _files(tmp_path, {"KO": KO, "PEP": PEP[:1] + PEP[2:]})  # no bar on 2022-03-02
    with dg.instance_for_test() as instance:
        assert run_range(defs, instance, "pairs_pipeline", "2022-03-01", "2022-03-02",
                         asset_selection=RAW_EQUITY).success


def test_a_rewrite_that_loses_an_instrument_is_refused_unless_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("PAIRS_DATA_DIR", str(tmp_path))
    with dg.instance_for_test() as instance:
        run_range(_files(tmp_path, {"KO": KO, "PEP": PEP}), instance, "pairs_pipeline", "2022-03-01",
                  "2022-03-03", asset_selection=RAW_EQUITY)
        without_pep = _files(tmp_path, {"KO": KO})
        with pytest.raises(DataInputError, match="allow_removal") as error:
            run_range(without_pep, instance, "pairs_pipeline", "2022-03-02", "2022-03-03",
                      asset_selection=RAW_EQUITY)
        assert error.value.instrument_id == "EQ:PEP" and "2022-03-01" in str(error.value)
        config = {"ops": {"raw_prices__equity": {"config": {"allow_removal": ["EQ:PEP"]}}}}
        assert run_range(without_pep, instance, "pairs_pipeline", "2022-03-02", "2022-03-03",
                         asset_selection=RAW_EQUITY, run_config=config).success
    stored = pd.read_parquet(tmp_path / "assets" / "raw_prices" / "equity" / "2022-03.parquet")
    assert set(stored["instrument_id"]) == {"EQ:KO"} and len(stored) == len(MARCH)
