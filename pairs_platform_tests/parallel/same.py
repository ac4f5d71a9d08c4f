"""Equality of pair schedules across execution paths.

Every column is compared exactly except the float statistics, which may differ in the last bits: the
Engle-Granger kernel's reductions are compiled with ``fastmath={"reassoc"}`` (vectorized sums), and
how a vectorized loop peels its first elements depends on the memory alignment of the buffers, which
differs between any two allocations (with or without a backend, see docs/scale.md). Those columns
must agree to 1e-12 relative; which pairs are selected, their windows and ranks must be identical.
"""
import numpy as np
import pandas as pd

RTOL = 1e-12


def assert_same_schedule(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(got.columns) == list(expected.columns) and got.index.equals(expected.index)
    floats = [c for c in expected.columns if pd.api.types.is_float_dtype(expected[c])]
    pd.testing.assert_frame_equal(got.drop(columns=floats), expected.drop(columns=floats), check_exact=True)
    for column in floats:
        np.testing.assert_allclose(got[column].to_numpy(), expected[column].to_numpy(), rtol=RTOL, atol=0,
                                   equal_nan=True, err_msg=column)
