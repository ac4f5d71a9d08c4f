"""Launch a job of the code location from a script so the UI lists the run under its job.

``JobDefinition.execute_in_process`` records a run without a code-location origin: the Dagster UI
shows it in the run list, but not on its job's page nor in the overview timeline, which match runs to
jobs by their ``.dagster/repository`` tag (set from the run's ``remote_job_origin``).
:func:`launch_run` creates the run as ``dagster dev`` would for the location of ``workspace.yaml``
(module ``pairs_platform.defs``), executes it in this process with the in-process executor, and
reports each step as it finishes.
"""
from __future__ import annotations

import functools
import os
import time
from dataclasses import dataclass, field
from typing import Callable

import dagster as dg
from dagster._core.definitions.reconstruct import ReconstructableRepository
from dagster._core.execution.api import execute_run_iterator
from dagster._core.remote_origin import RemoteRepositoryOrigin
from dagster._core.workspace.load import location_origin_from_module_name

from pairs_platform.defs.shared.partitions import session_range_tags

#: The code location of ``workspace.yaml``: module, attribute holding the ``Definitions``, location name.
LOCATION_MODULE, DEFINITIONS_ATTRIBUTE = "pairs_platform.defs", "defs"
REPOSITORY_NAME = "__repository__"  # the name Dagster gives the repository of a ``Definitions`` object
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}


@dataclass(frozen=True)
class RunRequest:
    """One run of a job over the sessions ``first`` .. ``last`` (both None: unpartitioned); a job of
    monthly price partitions runs the months that hold them."""

    job_name: str
    first: str | None = None
    last: str | None = None
    run_config: dict = field(default_factory=dict)
    tags: dict = field(default_factory=dict)
    asset_selection: tuple[dg.AssetKey, ...] | None = None


def _origins(job_name: str):
    """The reconstructable job and the code-location origin ``dagster dev`` gives ``workspace.yaml``'s location."""
    location = location_origin_from_module_name(LOCATION_MODULE, None, os.getcwd())  # as workspace.yaml loads it
    remote = RemoteRepositoryOrigin(code_location_origin=location, repository_name=REPOSITORY_NAME)
    recon = ReconstructableRepository.for_module(LOCATION_MODULE, DEFINITIONS_ATTRIBUTE, os.getcwd())
    return recon.get_reconstructable_job(job_name), remote.get_job_origin(job_name)


def _progress_line(event: dg.DagsterEvent, done: int, total: int, began: float) -> str | None:
    """One line per finished or failed step: ``  step name succeeded (n/N, t s)``."""
    verb = {"STEP_SUCCESS": "succeeded", "STEP_FAILURE": "FAILED", "STEP_SKIPPED": "skipped"}.get(
        event.event_type_value)
    if verb is None:
        return None
    return f"  {event.step_key} {verb} ({done}/{total}, {time.perf_counter() - began:.0f} s)"


def launch_run(instance: dg.DagsterInstance, definitions: dg.Definitions, request: RunRequest,
               log: Callable[[str], None] = functools.partial(print, flush=True)) -> dg.DagsterRun:
    """Create and execute a run of ``request.job_name`` that the UI lists under its job.

    Parameters
    ----------
    instance : dg.DagsterInstance
        A persistent instance (the one ``make ui`` shows).
    definitions : dg.Definitions
        The definitions the job comes from (those of the code location, ``pairs_platform.defs.defs``).
    request : RunRequest
        Job, partition range, run config (the in-process executor is added) and optional asset subset.
    log : callable, default print (flushed)
        Receives one progress line per finished step.

    Returns
    -------
    dg.DagsterRun
        The finished run as stored (``status`` ``SUCCESS`` or ``FAILURE``).
    """
    recon_job, remote_origin = _origins(request.job_name)
    job = definitions.resolve_job_def(request.job_name)
    tags = dict(request.tags)
    if request.first is not None:
        tags.update(session_range_tags(job.partitions_def, request.first, request.last))
    if request.asset_selection is not None:
        job = job.get_subset(asset_selection=set(request.asset_selection))
    run = instance.create_run_for_job(
        job_def=job, run_config={**request.run_config, **IN_PROCESS}, tags=tags,
        asset_selection=frozenset(request.asset_selection) if request.asset_selection else None,
        remote_job_origin=remote_origin, job_code_origin=recon_job.get_python_origin())
    total = len(instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id).steps)
    began, done = time.perf_counter(), 0
    log(f"run {run.run_id} of job {request.job_name}: {total} steps")
    recon = recon_job if request.asset_selection is None else recon_job.get_subset(
        asset_selection=set(request.asset_selection))
    for event in execute_run_iterator(recon, run, instance):
        done += event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED")
        line = _progress_line(event, done, total, began)
        if line:
            log(line)
    return instance.get_run_by_id(run.run_id)
