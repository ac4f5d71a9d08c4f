"""Launchpad resources generated from core configuration dataclasses (one source of truth).

:func:`launchpad_resource` turns a dataclass declared with ``pairs_platform.settings.setting`` into
a Dagster ``ConfigurableResource`` with the same field names, types (``Literal`` choices included;
tuples become lists), defaults and descriptions, plus a ``config()`` method returning the validated
core object. Nothing is copied by hand, so the launchpad cannot drift from the core.
"""
from __future__ import annotations

import dataclasses
import typing

import dagster as dg
from pydantic import Field


def _launchpad_type(hint):
    """Dagster config has lists, not variable-length tuples."""
    if typing.get_origin(hint) is tuple:
        return list[typing.get_args(hint)[0]]
    return hint


def _launchpad_value(value):
    """A core value as launchpad config holds it (tuples as lists)."""
    return list(value) if isinstance(value, tuple) else value


def _launchpad_field(item: dataclasses.Field):
    doc = item.metadata["doc"]
    if item.default_factory is not dataclasses.MISSING:
        return Field(default_factory=lambda: list(item.default_factory()), description=doc)
    return Field(default=item.default, description=doc)


def launchpad_resource(config_class: type, name: str) -> type[dg.ConfigurableResource]:
    """A ``ConfigurableResource`` class mirroring ``config_class`` field by field.

    Parameters
    ----------
    config_class : type
        A frozen dataclass whose fields are declared with ``pairs_platform.settings.setting``.
    name : str
        Class name of the resource.

    Returns
    -------
    type
        The resource class; its ``config()`` builds (and so validates) ``config_class``, and
        ``from_config(value)`` builds the resource from a ``config_class`` instance.
    """
    items = dataclasses.fields(config_class)
    hints = typing.get_type_hints(config_class)

    def config(self):
        return config_class(**{item.name: getattr(self, item.name) for item in items})

    config.__doc__ = f"The validated core :class:`{config_class.__qualname__}` these launchpad values describe."

    def from_config(cls, value):
        return cls(**{item.name: _launchpad_value(getattr(value, item.name)) for item in items})

    from_config.__doc__ = f"The resource holding every field of a core :class:`{config_class.__qualname__}`."
    namespace = {
        "__module__": __name__, "__doc__": config_class.__doc__, "config": config,
        "from_config": classmethod(from_config),
        "__annotations__": {item.name: _launchpad_type(hints[item.name]) for item in items},
        **{item.name: _launchpad_field(item) for item in items},
    }
    return type(name, (dg.ConfigurableResource,), namespace)
