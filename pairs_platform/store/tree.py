"""Composite values: dataclasses and containers stored as a folder of safe files.

A folder holds ``manifest.json`` and one node per part that plain JSON cannot carry; plain parts
(numbers, strings, dates, small dicts) sit inline in the manifest. The manifest names each node's
codec, never a file path (the file name is rebuilt from the field or item position), and a
dataclass by ``module:qualname``, which must be a dataclass defined under
:data:`TRUSTED_DATACLASS_MODULES` (checked before anything is imported).
"""
from __future__ import annotations

import dataclasses
import importlib
import json
from typing import Any, Protocol

from upath import UPath

from pairs_platform.store import jsontree
from pairs_platform.store.codecs import Codec, remove
from pairs_platform.store.errors import StoreError

FORMAT = "pairs_platform.store/1"
MANIFEST = "manifest.json"
TRUSTED_DATACLASS_MODULES = ("pairs_platform.",)
CONTAINERS = {"list": list, "tuple": tuple, "dict": dict}


class Nodes(Protocol):
    """What composite codecs need from the registry: write and read a named child node."""

    def write_node(self, folder: UPath, name: str, value: Any) -> Codec:
        """Stores ``value`` as ``folder/<name><suffix>`` with the codec its type calls for."""

    def read_node(self, folder: UPath, name: str, codec_name: str) -> Any:
        """Reads ``folder/<name><suffix>`` with the codec named ``codec_name``."""


def _entry(nodes: Nodes, folder: UPath, name: str, value: Any) -> dict:
    try:
        return {"inline": jsontree.encode(value)}
    except jsontree.NotPlain:
        return {"codec": nodes.write_node(folder, name, value).name}


def _value(nodes: Nodes, folder: UPath, name: str, entry: dict) -> Any:
    if "inline" in entry:
        return jsontree.decode(entry["inline"])
    return nodes.read_node(folder, name, str(entry["codec"]))


def _write_manifest(folder: UPath, manifest: dict) -> None:
    (folder / MANIFEST).write_text(json.dumps({"format": FORMAT, **manifest}), encoding="utf-8")


def _read_manifest(folder: UPath, kind: str) -> dict:
    path = folder / MANIFEST
    if not path.exists():
        raise StoreError(f"{folder} has no {MANIFEST} (an interrupted write?); re-materialize the asset")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{path} is not a store manifest ({exc}); re-materialize the asset") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or manifest.get("kind") != kind:
        raise StoreError(f"{path} is not a {FORMAT} {kind} manifest; re-materialize the asset")
    return manifest


def dataclass_type(qualified: str) -> type:
    """The dataclass named ``module:qualname``, if its module is a trusted one."""
    module, _, qualname = str(qualified).partition(":")
    if not module.startswith(TRUSTED_DATACLASS_MODULES) or not qualname:
        raise StoreError(f"dataclass {qualified!r} is outside {TRUSTED_DATACLASS_MODULES}; the store only "
                         "rebuilds pairs_platform dataclasses (define the class there)")
    found: Any = importlib.import_module(module)
    for part in qualname.split("."):
        found = getattr(found, part, None)
    if not (isinstance(found, type) and dataclasses.is_dataclass(found)):
        raise StoreError(f"{qualified!r} is not a dataclass; the store rebuilds dataclasses only")
    return found


class DataclassCodec:
    """A dataclass instance as a folder: manifest (type, fields) plus one node per non-plain field.

    Only ``init`` fields are stored; the class is rebuilt through its constructor, so its own
    validation (``__post_init__``) runs again on load.
    """

    name, suffix = "dataclass", ".dataclass"

    def __init__(self, nodes: Nodes):
        self.nodes = nodes

    def write(self, path: UPath, value: Any) -> None:
        kind = type(value)
        qualified = f"{kind.__module__}:{kind.__qualname__}"
        dataclass_type(qualified)
        remove(path)
        path.mkdir(parents=True, exist_ok=True)
        fields = {f.name: _entry(self.nodes, path, f.name, getattr(value, f.name))
                  for f in dataclasses.fields(value) if f.init}
        _write_manifest(path, {"kind": "dataclass", "type": qualified, "fields": fields})

    def read(self, path: UPath) -> Any:
        manifest = _read_manifest(path, "dataclass")
        kind = dataclass_type(manifest["type"])
        expected = {f.name for f in dataclasses.fields(kind) if f.init}
        stored = manifest["fields"]
        unknown = sorted(set(stored) - expected)
        if unknown:
            raise StoreError(f"{path}: stored fields {unknown} are not fields of {manifest['type']} (the class "
                             "changed since it was stored); re-materialize the asset")
        values = {name: _value(self.nodes, path, name, entry) for name, entry in stored.items()}
        try:
            return kind(**values)
        except TypeError as exc:
            raise StoreError(f"{path}: cannot rebuild {manifest['type']} ({exc}); re-materialize the asset") from exc


class ContainerCodec:
    """A list, tuple or dict holding non-plain items, as a folder: manifest plus a node per item."""

    name, suffix = "container", ".items"

    def __init__(self, nodes: Nodes):
        self.nodes = nodes

    def write(self, path: UPath, value: Any) -> None:
        kind = type(value).__name__
        if kind not in CONTAINERS:
            raise StoreError(f"{path}: a {type(value).__qualname__} is not a list, tuple or dict")
        remove(path)
        path.mkdir(parents=True, exist_ok=True)
        pairs = value.items() if kind == "dict" else ((None, v) for v in value)
        items = []
        for i, (key, item) in enumerate(pairs):
            entry = _entry(self.nodes, path, str(i), item)
            items.append({"key": jsontree.encode(key), **entry} if kind == "dict" else entry)
        _write_manifest(path, {"kind": "container", "type": kind, "items": items})

    def read(self, path: UPath) -> Any:
        manifest = _read_manifest(path, "container")
        kind = manifest.get("type")
        if kind not in CONTAINERS:
            raise StoreError(f"{path}: container type {kind!r} is not one of {sorted(CONTAINERS)}")
        values = [_value(self.nodes, path, str(i), entry) for i, entry in enumerate(manifest["items"])]
        if kind == "dict":
            return {jsontree.decode(entry["key"]): v for entry, v in zip(manifest["items"], values)}
        return CONTAINERS[kind](values)
