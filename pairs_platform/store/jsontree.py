"""Lossless JSON for small structures: dict, list, tuple, set, str, numbers, bool, None and dates.

Plain JSON values are written as themselves; the rest are tagged objects ``{"$t": tag, "v": ...}``
(a tuple, a set, a ``pd.Timestamp``, a ``datetime``/``date``, a ``Timedelta``, ``NaT``, or a dict
whose keys are not all strings or that holds the key ``"$t"``). Container types are matched
exactly (an ``OrderedDict`` or a ``namedtuple`` is not plain) so nothing changes type silently;
numpy scalars are stored as the Python number they equal. NaN and infinities use Python's JSON
extension (``NaN``, ``Infinity``).
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import numpy as np
import pandas as pd

TAG = "$t"


class NotPlain(TypeError):
    """The value holds something JSON cannot carry (a frame, an array, a model, ...)."""


def _encode_scalar(value: Any) -> Any:
    if isinstance(value, pd.Timestamp):
        return {TAG: "timestamp", "v": value.isoformat()}
    if value is pd.NaT:
        return {TAG: "nat"}
    if isinstance(value, pd.Timedelta):
        return {TAG: "timedelta", "v": int(value.value)}
    if isinstance(value, dt.datetime):
        return {TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, dt.date):
        return {TAG: "date", "v": value.isoformat()}
    if isinstance(value, (np.bool_, np.integer, np.floating)):
        return value.item()
    raise NotPlain(f"{type(value).__module__}.{type(value).__qualname__}")


def encode(value: Any) -> Any:
    """JSON-ready form of ``value``; raises :class:`NotPlain` when it holds a non-plain part."""
    kind = type(value)
    if value is None or kind in (bool, int, float, str):
        return value
    if kind is list:
        return [encode(v) for v in value]
    if kind in (tuple, set, frozenset):
        items = sorted(value, key=repr) if kind is not tuple else value
        return {TAG: kind.__name__, "v": [encode(v) for v in items]}
    if kind is dict:
        if all(type(k) is str for k in value) and TAG not in value:
            return {k: encode(v) for k, v in value.items()}
        return {TAG: "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
    return _encode_scalar(value)


def is_plain(value: Any) -> bool:
    """True if :func:`encode` can carry ``value``."""
    try:
        encode(value)
    except NotPlain:
        return False
    return True


_DECODERS = {
    "tuple": lambda v: tuple(decode(x) for x in v),
    "set": lambda v: {decode(x) for x in v},
    "frozenset": lambda v: frozenset(decode(x) for x in v),
    "dict": lambda v: {decode(k): decode(x) for k, x in v},
    "timestamp": pd.Timestamp,
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "timedelta": lambda v: pd.Timedelta(int(v), unit="ns"),
}


def decode(data: Any) -> Any:
    """Inverse of :func:`encode`."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if TAG not in data:
        return {k: decode(v) for k, v in data.items()}
    tag = data[TAG]
    if tag == "nat":
        return pd.NaT
    if tag not in _DECODERS:
        raise ValueError(f"unknown JSON tag {tag!r}; written by a newer pairs_platform.store?")
    return _DECODERS[tag](data["v"])


def dumps(value: Any) -> str:
    """``value`` as JSON text (raises :class:`NotPlain`)."""
    return json.dumps(encode(value))


def loads(text: str) -> Any:
    """Inverse of :func:`dumps`."""
    return decode(json.loads(text))
