"""The one error type of the asset store."""
from __future__ import annotations


class StoreError(ValueError):
    """A value that cannot be stored or loaded safely; the message names the path and the fix."""
