"""Model lifecycle in the MLflow registry: challenger -> promotion gate -> champion, and rollback.

Every retrain registers a new version under the alias ``challenger`` (``register_challenger``).
``run_promotion_gate`` scores it against the version aliased ``champion`` (``ml.gate``: identical
purged-CV folds, label-permutation placebo), logs the decision, both AUCs, the placebo p-value and
seeds and the reason as metrics/tags on the challenger's run and as tags on its model version, and,
if it passes, moves ``champion`` to it. A promoted version carries the tags ``champion_since`` (UTC
ISO time) and ``previous_champion`` (the version it replaced, "" for the first), so
``rollback`` can move the alias back one step at a time::

    python -m pairs_platform.tracking.lifecycle rollback --model pairs_entry_filter [--to-version N]
        [--tracking-uri URI]   # default: $MLFLOW_TRACKING_URI

Signals read the live model with ``load_champion`` (the filter and its version number).
Docs: docs/ml.md (Lifecycle).
"""
from __future__ import annotations

import argparse
import ast
import json
import os
import sys
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from pairs_platform.ml.gate import GateData, ModelSpec, PromotionPolicy, decide, evaluate_gate
from pairs_platform.tracking.models import load_filter_version, log_filter_to_mlflow
from pairs_platform.ml.training import MODEL_DEFAULTS, TrainedFilter

CHAMPION, CHALLENGER = "champion", "challenger"
TAG_SPEC = "model_spec"
TAG_SINCE, TAG_PREVIOUS = "champion_since", "previous_champion"


class RegistryTarget(NamedTuple):
    """Where the lifecycle reads and writes: an MLflow tracking store and a registered model name."""

    tracking_uri: str
    registered_name: str


@dataclass(frozen=True)
class GateResult:
    """Outcome of one promotion gate (for asset metadata)."""

    promoted: bool
    reason: str
    challenger_version: int
    champion_version: int | None
    challenger_auc: float
    champion_auc: float
    placebo_p: float
    placebo_mean_auc: float
    placebo_seeds: tuple[int, ...]
    n_folds: int

    def to_metadata(self) -> dict:
        """Flat JSON-able dict (NaN -> None)."""
        out = {k: v for k, v in self.__dict__.items() if k != "placebo_seeds"}
        out["placebo_seeds"] = f"{self.placebo_seeds[0]}..{self.placebo_seeds[-1]}"
        return {k: (None if isinstance(v, float) and not np.isfinite(v) else v) for k, v in out.items()}


def _client(target: RegistryTarget):
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=target.tracking_uri)


def _now() -> str:
    return pd.Timestamp.now(tz="UTC").isoformat(timespec="seconds")


def alias_version(target: RegistryTarget, alias: str):
    """The ModelVersion ``alias`` points at, or None if the alias (or the model) does not exist."""
    from mlflow.exceptions import MlflowException

    try:
        return _client(target).get_model_version_by_alias(target.registered_name, alias)
    except MlflowException as error:
        if error.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"):
            return None
        raise


def spec_of(trained: TrainedFilter) -> ModelSpec:
    """The re-fittable specification of a trained filter (its family's hyper-parameters and seed)."""
    params = {k: trained.params[f"model__{k}"] for k in MODEL_DEFAULTS[trained.model]
              if f"model__{k}" in trained.params}
    return ModelSpec(trained.model, params, int(trained.params.get("seed", 0)))


def register_challenger(trained: TrainedFilter, target: RegistryTarget, experiment: str,
                        input_example: pd.DataFrame, artifact_location: str | None = None) -> dict:
    """Logs and registers ``trained`` under the alias ``challenger``.

    Returns:
        the dict of ``registry.log_filter_to_mlflow`` (``run_id``, ``version``, ...).
    """
    info = log_filter_to_mlflow(trained, target.tracking_uri, experiment, target.registered_name,
                                input_example, alias=CHALLENGER, artifact_location=artifact_location)
    spec = spec_of(trained)
    _client(target).set_model_version_tag(target.registered_name, str(info["version"]), TAG_SPEC,
                                          json.dumps({"model": spec.model, "params": spec.params,
                                                      "seed": spec.seed}))
    return info


def _spec_of_version(version, client) -> ModelSpec:
    """ModelSpec from the ``model_spec`` tag, else from the run's ``model__*`` params."""
    if TAG_SPEC in version.tags:
        spec = json.loads(version.tags[TAG_SPEC])
        return ModelSpec(spec["model"], spec["params"], int(spec["seed"]))
    model, params = version.tags["model"], client.get_run(version.run_id).data.params

    def parse(text: str):
        try:
            return ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return text
    return ModelSpec(model, {k: parse(params[f"model__{k}"]) for k in MODEL_DEFAULTS[model]
                             if f"model__{k}" in params}, int(params.get("seed", 0)))


def promote(target: RegistryTarget, version: int, reason: str) -> None:
    """Points ``champion`` at ``version``, recording ``champion_since`` and ``previous_champion``."""
    client, name = _client(target), target.registered_name
    current = alias_version(target, CHAMPION)
    tags = {TAG_SINCE: _now(), TAG_PREVIOUS: "" if current is None else str(current.version),
            "promotion_reason": reason}
    for key, value in tags.items():
        client.set_model_version_tag(name, str(version), key, value)
    client.set_registered_model_alias(name, CHAMPION, str(version))


def _log_gate(target: RegistryTarget, run_id: str, result: GateResult) -> None:
    client, name, version = _client(target), target.registered_name, str(result.challenger_version)
    metrics = {"gate_challenger_auc": result.challenger_auc, "gate_champion_auc": result.champion_auc,
               "gate_placebo_p": result.placebo_p, "gate_placebo_mean_auc": result.placebo_mean_auc,
               "gate_promoted": float(result.promoted)}
    for key, value in metrics.items():
        if np.isfinite(value):
            client.log_metric(run_id, key, float(value))
    tags = {"gate_decision": "promoted" if result.promoted else "rejected", "gate_reason": result.reason,
            "gate_champion_version": str(result.champion_version or ""),
            "gate_placebo_seeds": json.dumps(list(result.placebo_seeds)),
            **{k: repr(round(v, 6)) for k, v in metrics.items() if np.isfinite(v)}}
    for key, value in tags.items():
        client.set_tag(run_id, key, value)
        client.set_model_version_tag(name, version, key, value)


def run_promotion_gate(target: RegistryTarget, data: GateData,
                       policy: PromotionPolicy = PromotionPolicy()) -> GateResult:
    """Gates the ``challenger`` version against the ``champion`` on ``data``; promotes if it passes.

    Args:
        target: tracking store and registered model name.
        data: the challenger's training data (features, labels, label ends, its cutoff).
        policy: margin, placebo size/seeds, CV folds.

    Raises:
        LookupError: no version is aliased ``challenger`` (call ``register_challenger`` first).
    """
    challenger = alias_version(target, CHALLENGER)
    if challenger is None:
        raise LookupError(f"registered model {target.registered_name!r} has no '{CHALLENGER}' alias at "
                          f"{target.tracking_uri}; call register_challenger first")
    champion = alias_version(target, CHAMPION)
    client = _client(target)
    evaluation = evaluate_gate(_spec_of_version(challenger, client),
                               None if champion is None else _spec_of_version(champion, client), data, policy)
    promoted, reason = decide(evaluation, champion is not None, policy)
    placebo = np.asarray(evaluation.placebo_aucs, dtype=np.float64)
    result = GateResult(promoted, reason, int(challenger.version),
                        None if champion is None else int(champion.version), evaluation.challenger_auc,
                        evaluation.champion_auc, evaluation.placebo_p, float(np.nanmean(placebo)),
                        evaluation.placebo_seeds, evaluation.n_folds)
    _log_gate(target, challenger.run_id, result)
    if promoted:
        promote(target, result.challenger_version, reason)
        client.delete_registered_model_alias(target.registered_name, CHALLENGER)
    return result


class Champion(NamedTuple):
    """The live entry filter and its registry version."""

    filter: TrainedFilter
    version: int


def load_champion(target: RegistryTarget) -> Champion:
    """Loads ``models:/<name>/<v>`` for the version ``champion`` points at (resolved once, so the
    version returned is the one loaded even if the alias moves meanwhile).

    Raises:
        LookupError: no champion yet (no challenger has passed the gate).
    """
    version = alias_version(target, CHAMPION)
    if version is None:
        raise LookupError(f"registered model {target.registered_name!r} has no '{CHAMPION}' at "
                          f"{target.tracking_uri}: no challenger has passed the promotion gate yet")
    number = int(version.version)
    return Champion(load_filter_version(target.tracking_uri, target.registered_name, number), number)


def rollback(target: RegistryTarget, to_version: int | None = None) -> dict:
    """Moves ``champion`` to ``to_version`` or, by default, to the current champion's
    ``previous_champion``; returns ``{"from_version", "to_version"}``."""
    client, name = _client(target), target.registered_name
    current = alias_version(target, CHAMPION)
    if current is None:
        raise LookupError(f"registered model {name!r} has no '{CHAMPION}' to roll back at "
                          f"{target.tracking_uri}")
    if to_version is None:
        previous = current.tags.get(TAG_PREVIOUS, "")
        if not previous:
            raise LookupError(f"champion version {current.version} of {name!r} has no previous champion; "
                              "pass --to-version N")
        to_version = int(previous)
    client.get_model_version(name, str(to_version))  # raises if the version does not exist
    client.set_model_version_tag(name, current.version, "rolled_back_at", _now())
    client.set_model_version_tag(name, current.version, "rolled_back_to", str(to_version))
    client.set_model_version_tag(name, str(to_version), TAG_SINCE, _now())
    client.set_registered_model_alias(name, CHAMPION, str(to_version))
    return {"from_version": int(current.version), "to_version": int(to_version)}


def main(argv: list[str] | None = None) -> int:
    """``rollback`` command line (module doc)."""
    parser = argparse.ArgumentParser(prog="python -m pairs_platform.tracking.lifecycle")
    commands = parser.add_subparsers(dest="command", required=True)
    back = commands.add_parser("rollback", help="move the champion alias back to the previous champion")
    back.add_argument("--model", required=True, help="registered model name, e.g. pairs_entry_filter")
    back.add_argument("--to-version", type=int, default=None, help="version to make champion")
    back.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI", ""),
                      help="MLflow tracking store (default: $MLFLOW_TRACKING_URI)")
    args = parser.parse_args(argv)
    if not args.tracking_uri:
        parser.error("no tracking store: pass --tracking-uri sqlite:////abs/path/mlflow.db or set "
                     "MLFLOW_TRACKING_URI")
    try:
        moved = rollback(RegistryTarget(args.tracking_uri, args.model), args.to_version)
    except LookupError as error:
        print(f"rollback refused: {error.args[0]}", file=sys.stderr)
        return 1
    print(f"{args.model}: champion moved from version {moved['from_version']} to {moved['to_version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
