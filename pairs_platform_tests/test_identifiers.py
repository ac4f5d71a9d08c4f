"""The identifier grammar: what reaches paths, order ids and SQL is refused unless it matches."""
import pytest

from pairs_platform.identifiers import (
    InvalidIdentifier, asset_class_of, validate_instrument_id, validate_name, validate_strategy_id,
)


@pytest.mark.parametrize("value", ["EQ:KO", "FUT:CL", "FI:UST10Y", "CRYPTO:BTC-USD", "EQ:BRK.B"])
def test_valid_instrument_ids_pass(value):
    assert validate_instrument_id(value) == value


@pytest.mark.parametrize("value", ["KO", "EQ:", "XX:KO", "EQ:K O", "EQ:../x", "EQ:a|b", "EQ:KO;DROP", 3, None])
def test_bad_instrument_ids_are_refused_with_the_rule(value):
    with pytest.raises(InvalidIdentifier, match="PREFIX:SYMBOL"):
        validate_instrument_id(value, where="targets.csv")


@pytest.mark.parametrize("value", ["../../etc", "a/b", "", "1abc", "x" * 65, "ok..bad", "a b", "pairs\\v1"])
def test_bad_strategy_ids_are_refused(value):
    with pytest.raises(InvalidIdentifier, match="strategy id"):
        validate_strategy_id(value, where="StrategyResource.strategy_id")


def test_names_and_classes():
    assert validate_name("pairs_platform") == "pairs_platform"
    with pytest.raises(InvalidIdentifier, match="name"):
        validate_name("../mlruns")
    assert asset_class_of("CRYPTO:BTC-USD") == "crypto"
