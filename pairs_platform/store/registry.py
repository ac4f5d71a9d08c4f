"""The registry of codecs keyed by type, and the writing/reading of named nodes."""
from __future__ import annotations

import dataclasses
import zipfile
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.base import BaseEstimator
from upath import UPath

from pairs_platform.store import jsontree
from pairs_platform.store.codecs import ArrayCodec, Codec, FrameCodec, IndexCodec, JsonCodec, SeriesCodec
from pairs_platform.store.errors import StoreError
from pairs_platform.store.models import SignedPickleCodec, SkopsCodec
from pairs_platform.store.tree import ContainerCodec, DataclassCodec

WRAPPED_ERRORS = (TypeError, ValueError, KeyError, OSError, EOFError, zipfile.BadZipFile, pa.ArrowException,
                  jsontree.NotPlain)


class CodecRegistry:
    """Chooses a codec for a value: by type (most specific class first), then plain JSON, then
    containers and dataclasses of such values; anything else only as a signed pickle."""

    def __init__(self) -> None:
        self.json = JsonCodec()
        self.container = ContainerCodec(self)
        self.dataclass = DataclassCodec(self)
        self.signed_pickle = SignedPickleCodec()
        self.by_type: dict[type, Codec] = {pd.DataFrame: FrameCodec(), pd.Series: SeriesCodec(),
                                           pd.Index: IndexCodec(), np.ndarray: ArrayCodec(),
                                           BaseEstimator: SkopsCodec()}
        self.codecs: list[Codec] = [*self.by_type.values(), self.json, self.container, self.dataclass,
                                    self.signed_pickle]
        self.by_name = {codec.name: codec for codec in self.codecs}

    def register(self, kind: type, codec: Codec) -> None:
        """Stores values of ``kind`` (and its subclasses) with ``codec``."""
        self.by_type[kind] = codec
        if codec.name not in self.by_name:
            self.codecs.append(codec)
            self.by_name[codec.name] = codec

    def codec_for(self, value: Any) -> Codec:
        """The codec that stores ``value``."""
        for kind in type(value).__mro__:
            if kind in self.by_type:
                return self.by_type[kind]
        if jsontree.is_plain(value):
            return self.json
        if type(value) in (list, tuple, dict):
            return self.container
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return self.dataclass
        return self.signed_pickle

    def codec_named(self, name: str, where: UPath) -> Codec:
        if name not in self.by_name:
            raise StoreError(f"{where}: unknown codec {name!r}; known: {sorted(self.by_name)}")
        return self.by_name[name]

    def write_node(self, folder: UPath, name: str, value: Any) -> Codec:
        """Stores ``value`` at ``folder/<name><suffix>``; errors name the path and the value's type."""
        codec = self.codec_for(value)
        path = folder / f"{name}{codec.suffix}"
        try:
            codec.write(path, value)
        except StoreError:
            raise
        except WRAPPED_ERRORS as exc:
            raise StoreError(f"cannot store a {type(value).__qualname__} as {codec.name} at {path}: {exc}") from exc
        return codec

    def read_node(self, folder: UPath, name: str, codec_name: str) -> Any:
        """Reads ``folder/<name><suffix>`` with the codec named ``codec_name``."""
        codec = self.codec_named(codec_name, folder)
        path = folder / f"{name}{codec.suffix}"
        if not path.exists():
            raise StoreError(f"{path} is missing (an interrupted write?); re-materialize the asset")
        try:
            return codec.read(path)
        except StoreError:
            raise
        except WRAPPED_ERRORS as exc:
            raise StoreError(f"cannot read {path} as {codec.name}: {exc}; re-materialize the asset") from exc

    def stored(self, folder: UPath, name: str) -> list[Codec]:
        """The codecs whose node ``folder/<name><suffix>`` exists."""
        return [codec for codec in self.codecs if (folder / f"{name}{codec.suffix}").exists()]
