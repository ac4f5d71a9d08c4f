"""The kernel-input layout before signal columns were shared: one signal column per schedule row.

Before ``PairSchedule.signal_col`` the signal stacks were (S, T, K), column k holding row k's
signals, and an intraday run repeated its (T,) entry window into a (T, K) mask. The tests run that
layout next to the shared-column one and require identical results (not a test module).
"""
from __future__ import annotations

import dataclasses

import numpy as np

from pairs_platform.backtest.inputs import KernelInputs


def per_row_inputs(inp: KernelInputs) -> KernelInputs:
    """``inp`` with every signal stack expanded to one column per schedule row (identity ``signal_col``)
    and a one-column entry mask repeated per row."""
    pairs = inp.arrays.pairs
    col = pairs.signal_col
    rows = np.arange(len(col), dtype=np.int64)

    def expand(stack: np.ndarray) -> np.ndarray:
        return stack if stack.shape[1:] == (1, 1) else np.ascontiguousarray(stack[:, :, col])

    allow = pairs.allow
    if allow.shape[0] > 1 and allow.shape[1] == 1:
        allow = np.ascontiguousarray(np.repeat(allow, len(col), axis=1))
    per_row = pairs._replace(zscores=expand(pairs.zscores), hedge=expand(pairs.hedge), vols=expand(pairs.vols),
                             allow=allow, signal_col=rows)
    return dataclasses.replace(inp, arrays=inp.arrays._replace(pairs=per_row))
