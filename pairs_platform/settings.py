"""Documented configuration fields: the core dataclasses the Dagster launchpad is generated from.

A configuration dataclass (``strategy.StrategyConfig``, ``data.sources.SourceSelection``) declares
each field with :func:`setting`, so its description lives beside its default, once; the Dagster
layer turns such a dataclass into a launchpad resource (``defs/shared/launchpad.py``).
"""
from __future__ import annotations

from dataclasses import field, fields
from typing import Any


def setting(default: Any, doc: str) -> Any:
    """A dataclass field with a description (``metadata['doc']``).

    Parameters
    ----------
    default : Any
        The default; a list or tuple becomes a tuple default (dataclasses need immutable defaults).
    doc : str
        One-line description shown in the launchpad.

    Returns
    -------
    dataclasses.Field
        The field.
    """
    if isinstance(default, (list, tuple)):
        frozen = tuple(default)
        return field(default_factory=lambda: frozen, metadata={"doc": doc})
    return field(default=default, metadata={"doc": doc})


def descriptions(config_class: type) -> dict[str, str]:
    """Field name -> description of a dataclass declared with :func:`setting`.

    Parameters
    ----------
    config_class : type
        The dataclass.

    Returns
    -------
    dict of str to str
        Descriptions in declaration order.
    """
    return {item.name: item.metadata["doc"] for item in fields(config_class)}
