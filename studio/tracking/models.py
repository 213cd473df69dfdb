"""Saving and loading models as run artifacts: a folder with the pickle and its metadata."""

from __future__ import annotations

import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

import joblib

from studio.errors import InvalidInput

MODEL_FILE = "model.joblib"
META_FILE = "studio-model.json"


def save_model(model: Any, folder: Path) -> Path:
    """Write `model` into `folder` (created); returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / MODEL_FILE)
    meta = {
        "format": "joblib",
        "model_file": MODEL_FILE,
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "flavor": _flavor(model),
        "python_version": platform.python_version(),
        "library_versions": _library_versions(),
        "saved_at": int(time.time() * 1000),
    }
    (folder / META_FILE).write_text(json.dumps(meta, indent=2))
    return folder


def load_model(folder: Path) -> Any:
    """Load a model saved by `save_model`."""
    meta_path = folder / META_FILE
    if not meta_path.exists():
        raise InvalidInput(f"{str(folder)!r} is not a Studio model folder (no {META_FILE}).")
    meta = json.loads(meta_path.read_text())
    return joblib.load(folder / meta["model_file"])


def _flavor(model: Any) -> str:
    module = type(model).__module__.split(".")[0]
    return {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm"}.get(
        module, "python"
    )


def _library_versions() -> dict[str, str]:
    versions = {}
    for name in ("sklearn", "numpy", "joblib"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "__version__"):
            versions[name] = module.__version__
    return versions
