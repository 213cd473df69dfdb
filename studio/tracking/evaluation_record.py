"""An evaluation as a run stores it: the one format `studio.evaluate` and autolog both write.

    evaluation/<label>/summary.json          metrics, baseline, folds, thresholds... (the fields
                                             of `studio.evaluation.schemas.EvaluationOut` but
                                             its figures)
    evaluation/<label>/figures/<name>.json   one plotly figure each (`studio.tracking.figures`)

Labels say what was evaluated: `holdout`, `cv`, `test` (`studio.evaluate`), `training` and
`eval` (autolog). Plain artifacts, so an evaluation needs no table, travels with its run and
is deleted with it; logging a label again replaces its folder.
"""

from __future__ import annotations

import json
import logging
import posixpath
import re
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from studio.tracking.fluent import Run
    from studio.tracking.service import TrackingService

__all__ = [
    "EVALUATION_DIR",
    "FIGURES_DIR",
    "SUMMARY_FILE",
    "describe_model",
    "log_evaluation",
    "read_evaluations",
]

EVALUATION_DIR = "evaluation"
SUMMARY_FILE = "summary.json"
FIGURES_DIR = "figures"
FIGURE_NAMES = "figure_names"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# What a record's file may weigh when read back: a figure is a few KB; anything can be
# uploaded to a run's artifacts, and the server must not load a huge one into memory.
MAX_RECORD_FILE_BYTES = 4 * 2**20

_logger = logging.getLogger(__name__)


def log_evaluation(
    run: Run, label: str, summary: Mapping[str, Any], figures: Mapping[str, dict[str, Any]]
) -> None:
    """Store one evaluation in `run` under `evaluation/<label>/`, replacing one of that label.

    `summary` holds EvaluationOut's fields but `figures` (and `label`, taken from here);
    `created_at` (ms since the epoch) is set to now when missing.
    """
    _check_name(label, "evaluation label")
    for name in figures:
        _check_name(name, "figure name")
    # The figures it has are named in the summary: a record logged again through a server
    # replaces files one by one, and a figure the new one lacks would otherwise linger.
    record = {**summary, "label": label, FIGURE_NAMES: sorted(figures)}
    record.setdefault("created_at", int(time.time() * 1000))
    with tempfile.TemporaryDirectory(prefix="studio-evaluation-") as scratch:
        folder = Path(scratch) / label
        (folder / FIGURES_DIR).mkdir(parents=True)
        (folder / SUMMARY_FILE).write_text(json.dumps(record), encoding="utf-8")
        for name, figure in figures.items():
            (folder / FIGURES_DIR / f"{name}.json").write_text(
                json.dumps(figure, separators=(",", ":")), encoding="utf-8"
            )
        run.log_artifact(folder, f"{EVALUATION_DIR}/{label}")


def read_evaluations(tracking: TrackingService, run_id: str) -> list[dict[str, Any]]:
    """A run's evaluations, newest first, each its summary with `figures` {name: figure}.

    NotFound for an unknown run. A record that cannot be read (a half-written folder, a file
    someone replaced) is left out with a warning rather than hiding the others.
    """
    uri = tracking.get_run(run_id).artifact_uri
    artifacts = tracking.artifacts
    try:
        folders = [info.path for info in artifacts.list(uri, EVALUATION_DIR) if info.is_dir]
    except NotFound:
        return []
    evaluations = []
    for folder in folders:
        try:
            evaluations.append(_read_one(tracking, uri, folder))
        except (NotFound, InvalidInput, ValueError, OSError) as exc:
            _logger.warning("Skipping the evaluation in %s of run %s: %s", folder, run_id, exc)
    evaluations.sort(key=lambda record: record.get("created_at", 0), reverse=True)
    return evaluations


def describe_model(model: Any) -> str:
    """A summary's `model`: the estimator's class, or a pipeline's steps
    (`StandardScaler → LogisticRegression`)."""
    steps = getattr(model, "steps", None)
    if isinstance(steps, list):
        named = [step for _name, step in steps if step not in (None, "passthrough")]
        return " → ".join(describe_model(step) for step in named)
    return type(model).__name__


def _read_one(tracking: TrackingService, uri: str, folder: str) -> dict[str, Any]:
    artifacts = tracking.artifacts
    record = _read_json(tracking, uri, posixpath.join(folder, SUMMARY_FILE))
    if not isinstance(record, dict):
        raise ValueError(f"{SUMMARY_FILE} is not a JSON object")
    record["label"] = posixpath.basename(folder)
    figures_folder = posixpath.join(folder, FIGURES_DIR)
    names = record.pop(FIGURE_NAMES, None)
    if not isinstance(names, list):  # written without the list: whatever the folder holds
        try:
            entries = artifacts.list(uri, figures_folder)
        except NotFound:
            entries = []
        names = [
            posixpath.basename(info.path).removesuffix(".json")
            for info in entries
            if not info.is_dir and info.path.endswith(".json")
        ]
    record["figures"] = {
        name: _read_json(tracking, uri, posixpath.join(figures_folder, f"{name}.json"))
        for name in names
        if isinstance(name, str) and _NAME.match(name)  # a figure of this folder, no path
    }
    return record


def _read_json(tracking: TrackingService, uri: str, path: str) -> Any:
    handle, _size = tracking.artifacts.open(uri, path)
    with handle:
        content = handle.read(MAX_RECORD_FILE_BYTES + 1)
    if len(content) > MAX_RECORD_FILE_BYTES:
        raise InvalidInput(f"{path} is over {MAX_RECORD_FILE_BYTES // 2**20} MB")
    return json.loads(content.decode("utf-8"))


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput(
            f"Invalid {what} {name!r}: use letters, digits, '_', '-' or '.' (at most 64)."
        )
