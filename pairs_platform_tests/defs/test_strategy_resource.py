"""The launchpad cannot drift from the core configuration; every launchpad field is described."""
import dataclasses

import pytest

from pairs_platform.backtest.params import StrategyParams
from pairs_platform.data.sources import SourceSelection
from pairs_platform.defs.definitions import build_resources
from pairs_platform.defs.shared.resources import PriceSourcesResource
from pairs_platform.defs.shared.strategy import StrategyResource
from pairs_platform.identifiers import InvalidIdentifier
from pairs_platform.strategy import StrategyConfig


@pytest.mark.parametrize("resource, core", [(StrategyResource, StrategyConfig), (PriceSourcesResource, SourceSelection)])
def test_launchpad_fields_are_the_core_fields(resource, core):
    launchpad = resource.model_fields
    assert list(launchpad) == [f.name for f in dataclasses.fields(core)]
    defaults = resource().config()
    assert defaults == core()
    for item in dataclasses.fields(core):
        assert launchpad[item.name].description == item.metadata["doc"], item.name


def test_every_launchpad_field_of_every_resource_has_a_description():
    resources = {k: v for k, v in build_resources().items() if k != "io_manager"}  # the store's, documented there
    missing = [f"{key}.{name}" for key, resource in resources.items()
               for name, info in type(resource).model_fields.items() if not (info.description or "").strip()]
    assert not missing, missing


def test_engine_parameters_come_from_the_config_under_the_same_names():
    config = StrategyConfig(entry_z=2.5, exit_z=0.25, stop_z=5.0, max_holding_halflives=2.0, zscore="rolling",
                            pair_capital=0.2)
    params = config.params()
    shared = [name for name in StrategyParams.field_names() if hasattr(config, name)]
    assert {"entry_z", "exit_z", "stop_z", "max_holding_halflives", "zscore", "pair_capital"} <= set(shared)
    assert all(getattr(params, name) == getattr(config, name) for name in shared)


def test_pipeline_keeps_its_exit_at_half_a_standard_deviation():
    assert StrategyResource().config().params().exit_z == 0.5


def test_costs_live_only_in_the_strategy():
    assert "paper_broker" not in build_resources()
    costs = StrategyResource(slippage_bps=9.0).config().costs()
    assert costs.slippage_bps == 9.0


def test_bad_settings_are_refused_naming_the_field():
    with pytest.raises(InvalidIdentifier, match="strategy id"):
        StrategyResource(strategy_id="../../etc").config()
    with pytest.raises(ValueError, match="zscore"):
        StrategyConfig(zscore="median")
    with pytest.raises(ValueError, match="exit_z"):
        StrategyResource(exit_z=3.0).config()


def test_defaults_are_the_measured_honest_selection_and_filters_are_off():
    from pairs_platform.pairs.integrity import SelectionPolicy

    config = StrategyResource().config()
    assert config.selection_policy() == SelectionPolicy()  # the measured policy is what the pipeline runs
    assert (config.selection, config.candidates, config.group_by) == ("fdr", "group", "economic")
    assert (config.formation_days, config.trading_days) == (756, 63)
    assert not config.use_ml_filter and not config.use_regime_filter
    assert config.ml_threshold is None
    assert StrategyConfig(selection="pvalue").selection_policy().max_pvalue == 0.05


def test_the_definitions_and_the_desk_use_the_one_configuration_in_effect(tmp_path, monkeypatch):
    from pairs_platform.api.settings import ApiSettings
    from pairs_platform.strategy import load_strategy_config

    path = tmp_path / "strategy.toml"
    path.write_text('strategy_id = "pairs_prod"\ncapital = 2500000.0\nentry_z = 2.25\nsearch_exit_z = [0.0, 0.25]\n')
    monkeypatch.setenv("PAIRS_STRATEGY_FILE", str(path))
    in_effect = load_strategy_config()
    assert (in_effect.strategy_id, in_effect.capital, in_effect.entry_z, in_effect.search_exit_z) == (
        "pairs_prod", 2_500_000.0, 2.25, (0.0, 0.25))
    assert build_resources()["strategy"].config() == in_effect
    desk = ApiSettings.from_env({"PAIRS_DATA_DIR": str(tmp_path), "PAIRS_STRATEGY_FILE": str(path)})
    assert desk.strategy == in_effect and desk.capital == 2_500_000.0
    monkeypatch.delenv("PAIRS_STRATEGY_FILE")
    assert build_resources()["strategy"].config() == StrategyConfig() == load_strategy_config()


def test_a_bad_strategy_file_names_the_file_and_the_field(tmp_path):
    from pairs_platform.strategy import load_strategy_config

    cases = {"typo.toml": ('entry_zz = 2.0\n', r"unknown field\(s\) \['entry_zz'\]"),
             "bad.toml": ('exit_z = 3.0\n', "exit_z"), "broken.toml": ("capital = \n", "not valid TOML"),
             "list.json": ("[1, 2]", "expected a table"), "bad.json": ('{"zscore": "median"}', "zscore")}
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(ValueError, match=message) as caught:
            load_strategy_config({"PAIRS_STRATEGY_FILE": str(tmp_path / name)})
        assert f"PAIRS_STRATEGY_FILE={tmp_path / name}" in str(caught.value)
    with pytest.raises(ValueError, match="cannot read it"):
        load_strategy_config({"PAIRS_STRATEGY_FILE": str(tmp_path / "missing.toml")})
    ok = tmp_path / "ok.json"
    ok.write_text('{"capital": 5e5, "search_pair_capital": [0.1]}')
    assert load_strategy_config({"PAIRS_STRATEGY_FILE": str(ok)}).search_pair_capital == (0.1,)
