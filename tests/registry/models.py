"""Runs with logged models for the registry's tests: real scikit-learn models saved the way
`Run.log_model` saves them, in runs of a real tracking store."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from studio.tracking.models import save_model

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService

ROWS = np.array([[0.0, 1.0], [1.0, 0.0], [0.2, 0.9], [0.9, 0.1]] * 5)
LABELS = np.array([0, 1, 0, 1] * 5)


@functools.cache
def logistic() -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression().fit(ROWS, LABELS)


@functools.cache
def forest() -> Any:
    """Holds `sklearn.tree._tree.Tree`: untrusted by skops, trusted by Studio's policy."""
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=3, random_state=0).fit(ROWS, LABELS)


@functools.cache
def rounding() -> Any:
    """Holds `numpy.around`, a type outside Studio's trusted ones: it needs approval."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return make_pipeline(FunctionTransformer(np.around), LogisticRegression()).fit(ROWS, LABELS)


def write_pickle_folder(folder: Path, model: Any) -> Path:
    """A model folder as Studio wrote them before skops: a joblib pickle and its metadata."""
    import json

    import joblib

    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / "model.joblib")
    meta = {"format": "joblib", "model_file": "model.joblib", "class": "x.Y", "flavor": "python"}
    (folder / "studio-model.json").write_text(json.dumps(meta))
    return folder


def run_with_model(
    tracking: TrackingService,
    model: Any,
    *,
    experiment: str = "train",
    metrics: Mapping[str, float] | None = None,
    tags: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    path: str = "model",
) -> str:
    """A finished run that logged `model` under `path`; its id."""
    experiment_id = tracking.get_or_create_experiment(experiment).id
    points = [(key, value, 0, 1) for key, value in (metrics or {}).items()]
    run = tracking.create_run(experiment_id, name="fit", params=params, tags=tags, metrics=points)
    with tempfile.TemporaryDirectory() as folder:
        saved = save_model(model, Path(folder) / path, input_example=ROWS[:2])
        tracking.log_artifact(run.id, saved, path)
    return run.id
