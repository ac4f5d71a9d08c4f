"""Guards on what the platform writes: a store never loses an instrument nobody asked to remove."""
from __future__ import annotations

from typing import Any, Iterable

from pairs_platform.data.errors import DataInputError

#: The config field (``raw_prices`` run config) that names instruments whose removal is intended.
ALLOW_REMOVAL_FIELD = "allow_removal"
#: How a user drops an instrument on purpose (quoted by every error about a vanishing instrument).
REMOVAL_HINT = (f"to drop the instrument on purpose, move its file out of the folder and list its id in the "
                f"run config field '{ALLOW_REMOVAL_FIELD}'")


def check_no_instrument_lost(previous_ids: Iterable[str], new_ids: Iterable[str],
                             allow_removal: Iterable[str] = (), where: str = "", date: Any = None) -> None:
    """Refuse a write that would drop instruments the previous version held.

    Parameters
    ----------
    previous_ids : iterable of str
        Instrument ids in what is stored now (e.g. the existing raw partition); empty when new.
    new_ids : iterable of str
        Instrument ids in what is about to replace it.
    allow_removal : iterable of str
        Ids whose removal the user asked for explicitly (config field ``allow_removal``); ``"*"``
        allows any removal.
    where : str
        What is being written, for the message (e.g. ``"raw_prices/equity partition 2022-03-02"``).
    date : date-like, optional
        The partition's day, shown as the error's date.

    Raises
    ------
    DataInputError
        Naming the instruments that would be lost (``instrument_id`` is the first of them,
        ``field`` is ``'instrument_id'``), the partition, and how to allow the removal.
    """
    allowed = {str(i) for i in allow_removal}
    lost = sorted({str(i) for i in previous_ids} - {str(i) for i in new_ids})
    refused = [] if "*" in allowed else [i for i in lost if i not in allowed]
    if not refused:
        return
    shown = ", ".join(refused[:10]) + (f" and {len(refused) - 10} more" if len(refused) > 10 else "")
    example = ", ".join(f"'{i}'" for i in refused[:3])
    raise DataInputError(refused[0], date, "instrument_id",
                         f"rewriting would remove {len(refused)} instrument(s) it held before: {shown} "
                         f"(their data is gone from the source: a missing, emptied or unlisted price file?)",
                         f"restore the instruments' data in the source; or, to remove them on purpose, "
                         f"list them in the run config field '{ALLOW_REMOVAL_FIELD}' (e.g. "
                         f"{ALLOW_REMOVAL_FIELD}: [{example}]; '*' allows any removal)",
                         location=where)
