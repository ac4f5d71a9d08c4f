"""make_source and the PriceSource protocol."""
import subprocess
import sys

import pytest

import pairs_platform.ibkr  # registers the 'ib' kind (the IB connector sits above data)
from pairs_platform.data import PriceSource, make_source
from pairs_platform.data.sources import SOURCE_FACTORIES, SOURCE_KINDS, register_source, registry


@pytest.mark.parametrize("kind", ["bundled", "synthetic", "combined"])
def test_sources_follow_the_protocol(kind):
    source = make_source(kind)
    assert isinstance(source, PriceSource)
    assert source.asset_classes and source.name
    for asset_class in source.asset_classes:
        assert source.instrument_ids(asset_class), (kind, asset_class)


def test_combined_routes_real_equities_and_synthetic_others():
    source = make_source("combined")
    assert source.asset_classes == ("equity", "future", "fixed_income", "crypto")
    bars = source.fetch(["EQ:KO", "EQ:SYNA", "FUT:ES"], "2022-12-27", "2022-12-28")
    assert bars.loc[bars["instrument_id"] == "EQ:KO", "open"].isna().all()  # real, close only
    assert bars.loc[bars["instrument_id"] == "EQ:SYNA", "open"].notna().all()
    assert set(bars["contract"].dropna()) == {"ESH2023"}
    custom = make_source("combined", parts=[{"kind": "synthetic", "seed": 3}])
    assert custom.name == "synthetic"


def test_ib_is_registered_and_unknown_kinds_are_refused():
    assert "ib" in SOURCE_KINDS
    assert make_source("ib").name == "ib"  # built lazily: no connection until fetch
    with pytest.raises(ValueError, match="unknown price source kind"):
        make_source("yahoo")


def test_the_ib_kind_needs_the_ibkr_import_and_says_so(monkeypatch):
    monkeypatch.setitem(SOURCE_FACTORIES, "ib", registry._ib_not_registered)
    with pytest.raises(ValueError, match="import pairs_platform.ibkr to enable the ib source"):
        make_source("ib")
    register_source("ib", pairs_platform.ibkr.IBSource)
    assert make_source("ib").name == "ib"
    register_source("ib", pairs_platform.ibkr.IBSource)  # the same factory again: a no-op


def test_register_source_refuses_built_in_kinds_and_a_second_factory():
    with pytest.raises(ValueError, match="only the placeholder kinds"):
        register_source("synthetic", pairs_platform.ibkr.IBSource)
    with pytest.raises(ValueError, match="already registered"):
        register_source("ib", lambda **options: None)


def test_data_alone_leaves_ib_unregistered_and_importing_ibkr_registers_it():
    code = ("import pairs_platform.data as d, sys; from pairs_platform.data.sources import SOURCE_FACTORIES as F; "
            "a = F['ib'].__name__; assert 'pairs_platform.ibkr' not in sys.modules; "
            "import pairs_platform.ibkr; print(a, F['ib'].__name__)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["_ib_not_registered", "IBSource"]


def test_fetch_refuses_unknown_ids_and_reversed_dates():
    source = make_source("synthetic")
    with pytest.raises(KeyError, match="EQ:NOPE"):
        source.fetch(["EQ:NOPE"], "2020-01-01", "2020-01-10")
    with pytest.raises(ValueError, match="before start"):
        source.fetch(["EQ:SYNA"], "2020-01-10", "2020-01-01")
    assert source.fetch(["EQ:SYNA"], "1980-01-01", "1989-12-31").empty  # before the epoch


@pytest.mark.parametrize("kind", ["bundled", "synthetic", "combined"])
def test_sources_describe_their_instruments(kind):
    source = make_source(kind)
    table = source.instruments()
    assert list(table.index) == source.instrument_ids()
    assert set(table["asset_class"]) == set(source.asset_classes)
