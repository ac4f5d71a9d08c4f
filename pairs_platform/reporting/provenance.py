"""Where a report came from: the run that wrote it, the code's git commit and the data sources.

:func:`code_version` never fails: a checkout without git (a wheel install, a container image built
without ``.git``) reports ``PAIRS_GIT_COMMIT`` when the deployment sets it, else ``"unknown (...)"``
with the reason, so a report is always written.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

COMMIT_ENV = "PAIRS_GIT_COMMIT"
CODE_ROOT = Path(__file__).resolve().parents[2]  # the checkout holding the pairs_platform package


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"git {' '.join(args)} failed")
    return done.stdout.strip()


def code_version(root: Path = CODE_ROOT, env: Mapping[str, str] | None = None) -> str:
    """The git commit of the code at ``root`` (``<sha>``, ``<sha>+dirty`` with uncommitted changes).

    Parameters
    ----------
    root : Path
        A folder inside the checkout (default: the one holding ``pairs_platform``).
    env : Mapping, optional
        Environment (default ``os.environ``); ``PAIRS_GIT_COMMIT`` wins when set (images without git).

    Returns
    -------
    str
        The commit, or ``"unknown (<reason>)"`` when git or the repository is missing.
    """
    environ = os.environ if env is None else env
    pinned = environ.get(COMMIT_ENV, "").strip()
    if pinned:
        return pinned
    try:
        sha = _git(root, "rev-parse", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except FileNotFoundError:
        return "unknown (git is not installed)"
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as error:
        return f"unknown (not a git checkout: {str(error).splitlines()[0][:120]})"
    return f"{sha}+dirty" if dirty else sha


@dataclass(frozen=True)
class Provenance:
    """What a tear sheet records about its making.

    Parameters
    ----------
    run_id : str
        The Dagster run (or other process) that wrote it.
    code_version : str
        :func:`code_version` of the code that computed it.
    sources : Mapping[str, str]
        Price source per asset class (``SourceSelection.kind_for``), e.g. ``{"equity": "bundled"}``.
    data_range : tuple of str
        First and last session of the data, ``YYYY-MM-DD``.
    written_at : str
        UTC time of writing (ISO 8601; default now).
    """

    run_id: str
    code_version: str
    sources: Mapping[str, str]
    data_range: tuple[str, str] = ("", "")
    written_at: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    def rows(self) -> dict[str, str]:
        """Label -> value, in display order (one row per asset class's source)."""
        return {"Dagster run id": self.run_id, "code (git commit)": self.code_version,
                "data range (sessions)": f"{self.data_range[0]} to {self.data_range[1]}",
                **{f"data source: {c}": s for c, s in self.sources.items()}, "written at (UTC)": self.written_at}
