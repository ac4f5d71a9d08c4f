"""The safe wire format of chunks and results: a JSON tree, nothing in it can run code on decode.

=====================  ==============================================================
value                  JSON
=====================  ==============================================================
str, int, float, bool  itself (non-finite floats as ``{"__float__": "nan"}``)
None, list, dict       itself (dict keys must be str); tuple as ``{"__tuple__": [...]}``
``pd.DataFrame``       ``{"__frame__": base64 Parquet}`` (index, dtypes, attrs kept)
``np.ndarray``         ``{"__ndarray__": base64 .npy}`` written and read with ``allow_pickle=False``
``np.generic``         its Python value; ``pd.Timestamp`` as ``{"__timestamp__": iso}``
frozen dataclass       ``{"__dataclass__": "module:Class", "fields": {...}}``; only classes of
                       the ``pairs_platform`` package are rebuilt (their ``__init__`` validates)
=====================  ==============================================================

Parquet and ``.npy`` without pickle are data formats; a dataclass is rebuilt through its own
constructor after its class is looked up by import path inside ``pairs_platform`` only.
"""
from __future__ import annotations

import base64
import dataclasses
import importlib
import io
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

TRUSTED_PACKAGE = "pairs_platform"


class CodecError(TypeError):
    """A value the wire format cannot carry, or a payload that does not decode."""


def encode(value: Any) -> Any:
    """``value`` as a JSON-safe tree (see the module table)."""
    if value is None or isinstance(value, (str, bool, int)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"__float__": repr(value)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, pd.Timestamp):
        return {"__timestamp__": value.isoformat()}
    if isinstance(value, (list, tuple)):
        items = [encode(v) for v in value]
        return items if isinstance(value, list) else {"__tuple__": items}
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise CodecError(f"parallel codec: dict keys must be str, got {bad[:3]}")
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    if isinstance(value, pd.DataFrame):
        return {"__frame__": _b64(_frame_bytes(value))}
    if isinstance(value, np.ndarray):
        return {"__ndarray__": _b64(_array_bytes(value))}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _encode_dataclass(value)
    raise CodecError(f"parallel codec cannot carry a {type(value).__module__}.{type(value).__qualname__}; "
                     "pass DataFrames, arrays, plain values or pairs_platform dataclasses")


def decode(tree: Any) -> Any:
    """Inverse of :func:`encode`."""
    if isinstance(tree, list):
        return [decode(v) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if len(tree) == 1:
        (tag, body), = tree.items()
        if tag in _DECODERS:
            return _DECODERS[tag](body)
    if tree.keys() == {"__dataclass__", "fields"}:
        return _decode_dataclass(tree)
    raise CodecError(f"parallel codec: unknown tagged value with keys {sorted(tree)[:5]}")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _frame_bytes(frame: pd.DataFrame) -> bytes:
    bad = [c for c in frame.columns if not isinstance(c, str)]
    if bad:
        raise CodecError(f"parallel codec: DataFrame column names must be str, got {bad[:3]}")
    sink = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame), sink)
    return sink.getvalue()


def _read_frame(body: str) -> pd.DataFrame:
    return pq.read_table(io.BytesIO(base64.b64decode(body))).to_pandas()


def _array_bytes(array: np.ndarray) -> bytes:
    if array.dtype.hasobject:
        raise CodecError("parallel codec: object arrays are not carried (they would need pickle)")
    sink = io.BytesIO()
    np.save(sink, array, allow_pickle=False)
    return sink.getvalue()


def _read_array(body: str) -> np.ndarray:
    return np.load(io.BytesIO(base64.b64decode(body)), allow_pickle=False)


def _encode_dataclass(value: Any) -> dict:
    kind = type(value)
    if not kind.__module__.startswith(TRUSTED_PACKAGE + "."):
        raise CodecError(f"parallel codec: only pairs_platform dataclasses are carried, not {kind.__module__}")
    fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.init}
    fields = {k: dict(v) if isinstance(v, Mapping) else v for k, v in fields.items()}
    return {"__dataclass__": f"{kind.__module__}:{kind.__qualname__}", "fields": encode(fields)}


def _decode_dataclass(tree: dict) -> Any:
    module_name, _, qualname = str(tree["__dataclass__"]).partition(":")
    if not module_name.startswith(TRUSTED_PACKAGE + ".") or "." in qualname or not qualname:
        raise CodecError(f"parallel codec: refusing dataclass {tree['__dataclass__']!r} outside {TRUSTED_PACKAGE}")
    kind = getattr(importlib.import_module(module_name), qualname, None)
    if not (isinstance(kind, type) and dataclasses.is_dataclass(kind)):
        raise CodecError(f"parallel codec: {tree['__dataclass__']!r} is not a dataclass")
    return kind(**decode(tree["fields"]))


_DECODERS = {
    "__float__": float,
    "__timestamp__": pd.Timestamp,
    "__tuple__": lambda body: tuple(decode(v) for v in body),
    "__dict__": lambda body: {k: decode(v) for k, v in body.items()},
    "__frame__": _read_frame,
    "__ndarray__": _read_array,
}
