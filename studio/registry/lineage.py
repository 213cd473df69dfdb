"""What a version keeps of where it came from: its run (experiment, status, metrics, params),
the job that made the run, its notebook and its training data, read from the run's tags at
registration; and why each type in its file is not trusted by default.

Jobs tag their runs (`studio.jobs.lifecycle`): `studio.job.run`, `studio.job.definition`,
`studio.job.notebook`. Training data is the run's tag (or param) `studio.dataset`
(`DATASET_TAG`): a JSON object such as `{"name": "iris", "path": "data/iris.csv", "digest":
"...", "rows": 150}`, or plain text taken as the name. Autolog writes it (the evaluation
issue); anyone may set it.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from studio.errors import NotFound
from studio.tracking.model_trust import needs_approval, not_servable

if TYPE_CHECKING:
    from studio.tracking.entities import RunRecord
    from studio.tracking.service import TrackingService

__all__ = ["DATASET_TAG", "lineage_of", "run_summary", "untrusted_reasons"]

DATASET_TAG = "studio.dataset"
"""The run tag naming a version's training data (JSON object, or plain text: its name)."""
# The jobs' tags on a run a job made (studio.jobs.lifecycle writes them).
_JOB_RUN_TAG = "studio.job.run"
_JOB_DEFINITION_TAG = "studio.job.definition"
_NOTEBOOK_TAG = "studio.job.notebook"
_MAX_SNAPSHOT_PARAMS = 200


def lineage_of(run: RunRecord, tracking: TrackingService) -> dict[str, Any]:
    """What a version keeps of its run, read at registration."""
    tags = run.tags
    return {
        "experiment_id": run.experiment_id,
        "run": run_summary(run, tracking),
        "job_run": _id_in(tags.get(_JOB_RUN_TAG)),
        "job_definition": _id_in(tags.get(_JOB_DEFINITION_TAG)),
        "notebook": tags.get(_NOTEBOOK_TAG),
        "dataset": _dataset(tags.get(DATASET_TAG) or run.params.get(DATASET_TAG)),
    }


def run_summary(run: RunRecord, tracking: TrackingService) -> dict[str, Any]:
    try:
        experiment = tracking.get_experiment(run.experiment_id).name
    except NotFound:
        experiment = None
    params = dict(sorted(run.params.items())[:_MAX_SNAPSHOT_PARAMS])
    return {
        "id": run.id,
        "name": run.name,
        "experiment_id": run.experiment_id,
        "experiment": experiment,
        "status": run.status.value,
        "metrics": {key: summary.last for key, summary in sorted(run.metrics.items())},
        "params": params,
    }


def _id_in(value: str | None) -> dict[str, int] | None:
    if value is None or not value.isdigit():
        return None
    return {"id": int(value)}


def _dataset(value: str | None) -> dict[str, Any] | None:
    if not value:
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    return parsed if isinstance(parsed, dict) else {"name": value}


def untrusted_reasons(types: Iterable[str]) -> dict[str, str]:
    """Why each type in a file is not trusted by skops by default: skops' own reason where
    it gives one, else Studio's."""
    # skops explains the types it knows to be risky (a tree's raw node indices).
    exceptions = importlib.import_module("skops.io.exceptions")
    known: Mapping[str, str] = getattr(exceptions, "UNTRUSTED_TYPE_REASONS", {})
    names = list(types)
    blocked = set(not_servable(names))
    needed = set(needs_approval(names))
    reasons = {}
    for kind in names:
        if kind in blocked:
            reasons[kind] = (
                "Defined in __main__ or as a lambda: only the process that defined it can load it."
            )
        elif kind in known:
            reasons[kind] = known[kind]
        elif kind in needed:
            reasons[kind] = "Not part of scikit-learn: loading it runs its code."
        else:
            reasons[kind] = "Trusted by Studio's policy (scikit-learn's own, or numpy.dtype)."
    return reasons
