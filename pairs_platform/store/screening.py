"""Screened formation windows kept as files: the :class:`~pairs_platform.pairs.memo.ScreeningMemo`
of the asset graph (``$PAIRS_DATA_DIR/cache/screening``).

Each window is one ``<sha256>.json`` file in the parallel codec's JSON tree (DataFrames as Parquet,
nothing that runs code on decode; no pickle). A file that does not decode is reported and the
window screened again (its file is then rewritten), so a damaged cache costs time, never a result.
Writes go to a temporary file renamed into place, so concurrent workers never read half a file; a
write that fails (full or read-only disk) is reported and the result stands.
The folder keeps the ``keep`` most recently used files.
"""
from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from pathlib import Path

from pairs_platform.pairs.memo import Screened
from pairs_platform.parallel.codec import CodecError, decode, encode

KEY = re.compile(r"[0-9a-f]{64}")
KEEP = 4096
log = logging.getLogger(__name__)


class FolderScreeningMemo:
    """Screened windows under ``folder``, one JSON file per :func:`~pairs_platform.pairs.memo.screening_key`.

    Parameters
    ----------
    folder : str or os.PathLike
        Created on first write.
    keep : int, default 4096
        Files kept; the least recently used beyond it are removed after a write.
    """

    def __init__(self, folder: str | os.PathLike, keep: int = KEEP):
        self.folder, self.keep = Path(folder), int(keep)

    def _path(self, key: str) -> Path:
        if not KEY.fullmatch(str(key)):
            raise ValueError(f"screening memo key {key!r} is not a SHA-256 hex digest")
        return self.folder / f"{key}.json"

    def get(self, key: str) -> Screened | None:
        """The window kept under ``key``, or None when absent or unreadable (then it is screened again)."""
        path = self._path(key)
        try:
            tree = decode(json.loads(path.read_text(encoding="utf-8")))
            screened = Screened(tree["chosen"], dict(tree["attrs"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, CodecError) as error:
            log.warning("screening memo: %s does not decode (%s); the window is screened again", path, error)
            return None
        try:
            os.utime(path)  # most recently used (a read-only folder keeps its order)
        except OSError:
            pass
        return screened

    def put(self, key: str, screened: Screened) -> None:
        """Keeps ``screened`` under ``key`` (atomically), then trims the folder to ``keep`` files."""
        path = self._path(key)
        text = json.dumps(encode({"chosen": screened.chosen, "attrs": dict(screened.attrs)}))
        temporary = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, path)
            self._trim()
        except OSError as error:  # a full or read-only disk costs the next run time, never this result
            log.warning("screening memo: could not keep %s (%s); the window will be screened again", path, error)
            if temporary is not None:  # a half-written file is not left behind
                Path(temporary).unlink(missing_ok=True)

    def _trim(self) -> None:
        files = list(self.folder.glob("*.json"))
        if len(files) <= self.keep:
            return
        files.sort(key=lambda f: f.stat().st_mtime)
        for stale in files[:len(files) - self.keep]:
            stale.unlink(missing_ok=True)
