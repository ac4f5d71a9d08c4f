"""Chunk functions workers may run: registered by import path, resolved only inside pairs_platform.

A chunk function takes one chunk (a value the codec carries) and returns one result. It is named
on the wire by ``"module:function"``; a worker imports the module (which must belong to the
``pairs_platform`` package) and runs the function only if that import registered it with
:func:`parallel_task`. A broker message can therefore never name ``os:system`` or any function
that was not written to be a chunk function.
"""
from __future__ import annotations

import functools
import importlib
from typing import Any, Callable

from pairs_platform.parallel.codec import TRUSTED_PACKAGE, decode, encode

TASKS: dict[str, Callable[[Any], Any]] = {}


def task_path(func: Callable) -> str:
    """The ``"module:function"`` import path of a module-level function."""
    return f"{func.__module__}:{func.__qualname__}"


def parallel_task(func: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Decorator: registers ``func`` as a chunk function workers may run; returns it unchanged."""
    if "<locals>" in func.__qualname__ or not func.__module__.startswith(TRUSTED_PACKAGE + "."):
        raise ValueError(f"parallel_task: {func.__module__}:{func.__qualname__} must be a module-level function "
                         f"of the {TRUSTED_PACKAGE} package so workers can import it")
    TASKS[task_path(func)] = func
    return func


def resolve_task(path: str) -> Callable[[Any], Any]:
    """The registered chunk function at ``path`` (``"pairs_platform.x.y:function"``), importing its module."""
    module, sep, name = str(path).partition(":")
    if not sep or not name or not module.startswith(TRUSTED_PACKAGE + "."):
        raise ValueError(f"parallel task {path!r} is not a 'pairs_platform.<module>:<function>' import path")
    if path not in TASKS:
        importlib.import_module(module)
    if path not in TASKS:
        raise ValueError(f"parallel task {path!r} is not registered; decorate it with "
                         "pairs_platform.parallel.parallel_task")
    return TASKS[path]


def run_encoded(path: str, payload: Any) -> Any:
    """What a worker runs: decode the chunk, call the registered function, encode its result."""
    return encode(resolve_task(path)(decode(payload)))


def call_reference(func: Callable) -> tuple[str, dict]:
    """``(path, keyword options)`` of a registered function or a ``functools.partial`` of one.

    Raises
    ------
    ValueError
        For a closure, a lambda, an unregistered function or a partial with positional arguments:
        workers could not rebuild it; pass a registered function (see :func:`parallel_task`).
    """
    options: dict = {}
    while isinstance(func, functools.partial):
        if func.args:
            raise ValueError(f"a partial of {task_path(func.func)} with positional arguments cannot be sent to "
                             "workers; bind its options by keyword")
        options = {**func.keywords, **options}
        func = func.func
    path = task_path(func)
    if TASKS.get(path) is not func:
        raise ValueError(f"{path} is not a registered chunk function, so workers cannot run it; use a function "
                         "decorated with pairs_platform.parallel.parallel_task (e.g. "
                         "pairs_platform.pairs.schedule:select_formation_pairs) or run without a backend")
    return path, options
