"""A source that routes each instrument to the first of several sources that serves it."""
from __future__ import annotations

from typing import Any

import pandas as pd

from pairs_platform.data.sources.base import (
    PriceSource, check_requested, empty_bars, filter_by_class, standardize_bars,
)


class CombinedSource:
    """Several sources as one: instrument ``i`` comes from the first part whose ``instrument_ids()``
    contains it (e.g. real bundled equities first, then synthetic futures, bonds and crypto)."""

    def __init__(self, parts: list[PriceSource], name: str | None = None) -> None:
        if not parts:
            raise ValueError("CombinedSource needs at least one part")
        self.parts = list(parts)
        self.name = name or "+".join(p.name for p in self.parts)
        self.asset_classes = tuple(dict.fromkeys(c for p in self.parts for c in p.asset_classes))

    def _owner(self) -> dict[str, PriceSource]:
        owner: dict[str, PriceSource] = {}
        for part in self.parts:
            for iid in part.instrument_ids():
                owner.setdefault(iid, part)
        return owner

    def instrument_ids(self, asset_class: str | None = None) -> list[str]:
        """Union of the parts' instrument ids (optionally of one asset class)."""
        return filter_by_class(list(self._owner()), asset_class)

    def instruments(self) -> pd.DataFrame:
        """Each instrument's row from its owning part's ``instruments()``."""
        owner = self._owner()
        rows = [part.instruments().loc[[i for i in part.instrument_ids() if owner[i] is part]]
                for part in self.parts]
        return pd.concat(rows).sort_index()

    def fetch(self, instrument_ids: list[str], start: Any, end: Any) -> pd.DataFrame:
        """Long bars from each instrument's owning part, concatenated and sorted."""
        owner = self._owner()
        ids = check_requested(self.name, instrument_ids, list(owner))
        frames = []
        for part in self.parts:
            mine = [i for i in ids if owner[i] is part]
            if mine:
                frames.append(part.fetch(mine, start, end))
        frames = [f for f in frames if len(f)]
        return standardize_bars(pd.concat(frames, ignore_index=True)) if frames else empty_bars()
