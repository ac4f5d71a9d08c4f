"""The guard against a rewrite that silently loses instruments."""
import pytest

from pairs_platform.data.errors import DataInputError, DataQualityError
from pairs_platform.data.guards import ALLOW_REMOVAL_FIELD, check_no_instrument_lost


def test_same_or_more_instruments_pass():
    check_no_instrument_lost([], ["EQ:KO"])
    check_no_instrument_lost(["EQ:KO"], ["EQ:KO", "EQ:PEP"])
    check_no_instrument_lost({"EQ:KO", "EQ:PEP"}, ("EQ:PEP", "EQ:KO"))


def test_losing_an_instrument_is_refused_with_names_partition_and_fix():
    with pytest.raises(DataInputError) as info:
        check_no_instrument_lost(["EQ:KO", "EQ:PEP", "FUT:CL"], ["EQ:KO"],
                                 where="raw_prices/equity partition 2022-03-02", date="2022-03-02")
    err, message = info.value, str(info.value)
    assert isinstance(err, DataQualityError) and err.instrument_id == "EQ:PEP" and err.field == "instrument_id"
    for piece in ("EQ:PEP, FUT:CL", "2 instrument(s)", "date 2022-03-02", "raw_prices/equity partition 2022-03-02",
                  f"'{ALLOW_REMOVAL_FIELD}'", "allow_removal: ['EQ:PEP', 'FUT:CL']", "Fix: restore"):
        assert piece in message, (piece, message)


def test_explicit_removal_is_allowed_and_only_for_the_named_ids():
    check_no_instrument_lost(["EQ:KO", "EQ:PEP"], ["EQ:KO"], allow_removal={"EQ:PEP"})
    check_no_instrument_lost(["EQ:KO", "EQ:PEP"], [], allow_removal=["*"])
    with pytest.raises(DataInputError, match=r"1 instrument\(s\) it held before: FUT:CL"):
        check_no_instrument_lost(["EQ:KO", "EQ:PEP", "FUT:CL"], ["EQ:KO"], allow_removal=["EQ:PEP"])


def test_many_lost_instruments_are_summarised():
    previous = [f"EQ:S{i:02d}" for i in range(25)]
    with pytest.raises(DataInputError, match=r"25 instrument\(s\).*EQ:S09 and 15 more"):
        check_no_instrument_lost(previous, [])
