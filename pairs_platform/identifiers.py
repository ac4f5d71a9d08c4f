"""The one grammar of every identifier that reaches a path, an order id, an SQL value or an MLflow name.

Identifiers are checked where they enter the platform (configuration, files, API calls), so that
no strategy id can climb out of the data folder (``../``), no instrument id can smuggle a separator
into a client order id, and every error says which value broke which rule and how to fix it.

=================  =====================================  ==========================================
kind               pattern                                examples
=================  =====================================  ==========================================
asset class        one of :data:`ASSET_CLASSES`           ``equity``, ``future``
instrument id      ``PREFIX:SYMBOL``, PREFIX in           ``EQ:KO``, ``FUT:CL``, ``FI:UST10Y``,
                   :data:`ID_PREFIX`; SYMBOL letters,     ``CRYPTO:BTC-USD``, ``EQ:BRK.B``
                   digits, ``. _ - /`` (1-32 chars)
strategy id        a letter, then letters, digits,        ``pairs_v1``, ``eq-sector.2``
                   ``_ - .`` (1-64 chars)
name               MLflow experiment / registered         ``pairs_platform``, ``entry filter v2``
                   model: letters, digits, ``_ - . ``
                   and spaces, starting with a letter
                   or digit (1-128 chars)
=================  =====================================  ==========================================
"""
from __future__ import annotations

import re

ASSET_CLASSES: tuple[str, ...] = ("equity", "future", "fixed_income", "crypto")
"""Asset classes, in the order the compiled kernels index them."""

ID_PREFIX: dict[str, str] = {"EQ": "equity", "FUT": "future", "FI": "fixed_income", "CRYPTO": "crypto"}
"""Instrument-id prefix -> asset class."""

INSTRUMENT_ID_PATTERN = re.compile(r"^(EQ|FUT|FI|CRYPTO):[A-Za-z0-9][A-Za-z0-9._/\-]{0,31}$")
STRATEGY_ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]{0,63}$")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_. \-]{0,127}$")

_RULES = {
    "instrument id": (INSTRUMENT_ID_PATTERN,
                      f"PREFIX:SYMBOL with PREFIX in {sorted(ID_PREFIX)} and a symbol of letters, digits "
                      "and . _ - / (at most 32 characters), e.g. 'EQ:KO' or 'CRYPTO:BTC-USD'"),
    "strategy id": (STRATEGY_ID_PATTERN,
                    "a letter followed by letters, digits, '_', '-' or '.' (at most 64 characters), "
                    "e.g. 'pairs_v1'"),
    "name": (NAME_PATTERN,
             "letters, digits, '_', '-', '.' and spaces, starting with a letter or digit "
             "(at most 128 characters), e.g. 'pairs_platform'"),
}


class InvalidIdentifier(ValueError):
    """An identifier broke its documented pattern (see :mod:`pairs_platform.identifiers`)."""


def validate(kind: str, value: object, where: str = "") -> str:
    """Return ``value`` if it matches the pattern of ``kind``, else raise :class:`InvalidIdentifier`.

    Parameters
    ----------
    kind : {'instrument id', 'strategy id', 'name'}
        Which grammar applies.
    value : object
        The candidate identifier; anything but a matching ``str`` is refused.
    where : str, optional
        Where the value came from (a config field, a file, a column), named in the error.

    Returns
    -------
    str
        ``value`` unchanged.
    """
    pattern, rule = _RULES[kind]
    if isinstance(value, str) and pattern.fullmatch(value) and ".." not in value:
        return value
    origin = f" in {where}" if where else ""
    raise InvalidIdentifier(f"{kind} {value!r}{origin} is not valid: use {rule}. Identifiers become file "
                            "paths, order ids and database values, so nothing else is accepted.")


def validate_instrument_id(value: object, where: str = "") -> str:
    """:func:`validate` for an instrument id (``EQ:KO``)."""
    return validate("instrument id", value, where)


def validate_strategy_id(value: object, where: str = "") -> str:
    """:func:`validate` for a strategy id (``pairs_v1``)."""
    return validate("strategy id", value, where)


def validate_name(value: object, where: str = "") -> str:
    """:func:`validate` for an MLflow experiment or registered-model name."""
    return validate("name", value, where)


def asset_class_of(instrument_id: str) -> str:
    """Asset class of a valid instrument id (``'EQ:KO'`` -> ``'equity'``)."""
    return ID_PREFIX[validate_instrument_id(instrument_id).split(":", 1)[0]]
