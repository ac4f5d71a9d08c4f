"""Codecs for fitted models (skops, reviewed types only) and for last-resort signed pickles.

A scikit-learn estimator is written with ``skops.io`` and loaded only if every type skops does
not trust by default is on the reviewed list :func:`trusted_model_types` (the
``SKOPS_TRUSTED_TYPES`` of :mod:`pairs_platform.ml.training`, the one source of that list).

A value no safe codec can hold is pickled only when ``PAIRS_STORE_KEY`` is set: the file is
``MAGIC + HMAC-SHA256(key, MAGIC + payload) + payload``, and the tag is checked with
``hmac.compare_digest`` before anything is unpickled. Without a key such a value is refused.
"""
from __future__ import annotations

import copy
import hashlib
import hmac
import os
import pickle
from collections import OrderedDict
from typing import Any

from upath import UPath

from pairs_platform.store.errors import StoreError

KEY_ENV = "PAIRS_STORE_KEY"
MIN_KEY_CHARS = 32
MAGIC = b"pairs_platform.store signed pickle v1\n"
DIGEST_BYTES = hashlib.sha256().digest_size
KEY_HINT = (f"set {KEY_ENV} to a secret of at least {MIN_KEY_CHARS} characters, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'")


def trusted_model_types() -> frozenset[str]:
    """Every type name our reviewed model pipelines may need beyond skops' defaults."""
    from pairs_platform.ml.training import SKOPS_TRUSTED_TYPES

    return frozenset(name for names in SKOPS_TRUSTED_TYPES.values() for name in names)


def _check_model_types(data: bytes, path: UPath) -> list[str]:
    import skops.io

    untrusted = sorted(skops.io.get_untrusted_types(data=data))
    unknown = sorted(set(untrusted) - trusted_model_types())
    if unknown:
        raise StoreError(f"{path}: the model holds types {unknown} that are not on the reviewed list; "
                         "review them and add them to SKOPS_TRUSTED_TYPES in pairs_platform/ml/training.py "
                         "(never load a model from an unknown source)")
    return untrusted


#: Estimators already loaded in this process, by the SHA-256 of their file's bytes (at most this many).
LOADED_MODELS_KEPT = 32
_loaded: OrderedDict[bytes, Any] = OrderedDict()


class SkopsCodec:
    """Fitted scikit-learn estimators via ``skops.io``, reviewed types only (checked both ways).

    Loading is slow (type review and reconstruction: ~0.3 s per walk-forward model), and a run's
    steps and checks read the same files again. A file whose exact bytes were loaded before in this
    process is served as a deep copy of that estimator (content-addressed, so a changed file is
    loaded and reviewed anew; a copy, so no caller sees another's changes).
    """

    name, suffix = "skops", ".skops"

    def write(self, path: UPath, value: Any) -> None:
        import skops.io

        data = skops.io.dumps(value)
        _check_model_types(data, path)
        path.write_bytes(data)

    def read(self, path: UPath) -> Any:
        import skops.io
        from skops.io.exceptions import UntrustedTypesFoundException

        data = path.read_bytes()
        digest = hashlib.sha256(data).digest()
        model = _loaded.get(digest)
        if model is None:
            try:  # one parse: skops audits the file against the reviewed list while it loads
                model = skops.io.loads(data, trusted=sorted(trusted_model_types()))
            except UntrustedTypesFoundException:
                _check_model_types(data, path)  # names the unreviewed types (StoreError)
                raise
            _loaded[digest] = model
            while len(_loaded) > LOADED_MODELS_KEPT:
                _loaded.popitem(last=False)
        _loaded.move_to_end(digest)
        return copy.deepcopy(model)


def _store_key(path: UPath, action: str) -> bytes:
    key = os.environ.get(KEY_ENV, "")
    if len(key) < MIN_KEY_CHARS:
        raise StoreError(f"{path}: {action} needs an integrity key; {KEY_HINT}")
    return key.encode()


def _tag(key: bytes, payload: bytes) -> bytes:
    return hmac.new(key, MAGIC + payload, hashlib.sha256).digest()


class SignedPickleCodec:
    """Last resort for a value no safe codec holds: a pickle signed with HMAC-SHA256."""

    name, suffix = "signed_pickle", ".signed-pickle"

    def write(self, path: UPath, value: Any) -> None:
        key = _store_key(path, f"storing a {type(value).__module__}.{type(value).__qualname__} (no safe "
                               "format: Parquet, npz, JSON, skops or a dataclass of those) as a signed pickle")
        payload = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        path.write_bytes(MAGIC + _tag(key, payload) + payload)

    def read(self, path: UPath) -> Any:
        key = _store_key(path, "loading a signed pickle")
        data = path.read_bytes()
        tag, payload = data[len(MAGIC):len(MAGIC) + DIGEST_BYTES], data[len(MAGIC) + DIGEST_BYTES:]
        if not data.startswith(MAGIC) or not hmac.compare_digest(tag, _tag(key, payload)):
            raise StoreError(f"{path}: integrity check failed (not written with this {KEY_ENV}, or altered); "
                             "it was not unpickled. Re-materialize the asset")
        return pickle.loads(payload)
