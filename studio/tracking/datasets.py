"""The datasets a run was trained and evaluated on: name, digest, shape and schema.

    info = describe_dataset(X_train, y_train, name="X_train")   # context "train"
    log_dataset(run, info)

A run lists its datasets in the tag `studio.datasets` (compact: what the run overview shows);
its training data is also the tag `studio.dataset`, which the registry copies into a version's
lineage (`studio.registry.lineage`); each dataset's full schema is the artifact
`datasets/<context>-<digest>.json`. The digest identifies the data, not a file: a hash of a
bounded, evenly spaced sample of rows with the shape, column names and types, so that it costs
the same on a million rows as on a thousand and still changes when the data does.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from studio.tracking.signature import column_dtype
from studio.tracking.validation import MAX_TAG_VALUE_LENGTH

if TYPE_CHECKING:
    from studio.tracking.fluent import Run

__all__ = ["DATASETS_TAG", "TRAINING_DATASET_TAG", "describe_dataset", "log_dataset"]

DATASETS_TAG = "studio.datasets"
TRAINING_DATASET_TAG = "studio.dataset"  # studio.registry.lineage.DATASET_TAG reads it
DATASETS_DIR = "datasets"
_SAMPLE_ROWS = 10_000
_SCHEMA_COLUMNS = 1_000  # a schema past this many columns is cut (wide text features)
_COMPACT_KEYS = ("name", "digest", "context", "rows", "columns")


def describe_dataset(
    X: Any, y: Any = None, *, name: str | None = None, context: str = "train"
) -> dict[str, Any]:
    """What identifies a dataset: name, 16-hex digest, context ("train" / "eval"), rows,
    columns, the schema of its features (and of its target, as "target") and its source."""
    digest = hashlib.sha256()
    rows, columns, schema = _describe_into(digest, X)
    info: dict[str, Any] = {
        "name": name or "dataset",
        "digest": "",
        "context": context,
        "rows": rows,
        "columns": columns,
        "schema": schema,
        "source": "code",
    }
    if y is not None:
        info["target"] = _describe_into(digest, y)[2]
    info["digest"] = digest.hexdigest()[:16]
    return info


def log_dataset(run: Run, info: Mapping[str, Any]) -> None:
    """Add a dataset to the run's `studio.datasets` tag (once per digest and context), write
    its schema as an artifact, and name a training dataset in `studio.dataset`."""
    compact = {key: info[key] for key in _COMPACT_KEYS}
    tags = run.record.tags
    listed = _listed(tags.get(DATASETS_TAG))
    new: dict[str, str] = {}
    if info["context"] == "train":
        # The run's last fit is its model's: its data is the one a registered version keeps.
        training = json.dumps({key: info[key] for key in ("name", "digest", "rows", "columns")})
        if tags.get(TRAINING_DATASET_TAG) != training:
            new[TRAINING_DATASET_TAG] = training
    known = {(entry.get("digest"), entry.get("context")) for entry in listed}
    if (compact["digest"], compact["context"]) not in known:
        new[DATASETS_TAG] = _fitting_list([*listed, compact])
        with tempfile.TemporaryDirectory(prefix="studio-dataset-") as folder:
            path = Path(folder) / "dataset.json"
            path.write_text(json.dumps(dict(info), indent=1))
            run.log_artifact(path, f"{DATASETS_DIR}/{info['context']}-{info['digest']}.json")
    if new:
        run.set_tags(new)


def _describe_into(digest: Any, data: Any) -> tuple[int, int, list[dict[str, str]]]:
    """Rows, columns and schema of features or a target; their sample goes into `digest`."""
    if hasattr(data, "tocsr") and hasattr(data, "shape"):  # a scipy sparse matrix
        return _describe_sparse_into(digest, data.tocsr())
    frame = _as_frame(data)
    rows = int(frame.shape[0])
    positions = _sample_positions(rows)
    sample = frame.iloc[positions] if len(positions) < rows else frame
    names = [str(name) for name in frame.columns]
    digest.update(repr((frame.shape, names, [str(dtype) for dtype in frame.dtypes])).encode())
    hashed = pd.util.hash_pandas_object(sample, index=False).to_numpy()
    digest.update(np.ascontiguousarray(hashed).tobytes())
    schema = [
        {"name": names[position], "type": column_dtype(sample.iloc[:, position])}
        for position in range(min(len(names), _SCHEMA_COLUMNS))
    ]
    return rows, len(names), schema


def _describe_sparse_into(digest: Any, matrix: Any) -> tuple[int, int, list[dict[str, str]]]:
    rows, columns = (int(size) for size in matrix.shape)
    digest.update(repr((matrix.shape, str(matrix.dtype), matrix.nnz)).encode())
    sample = matrix[_sample_positions(rows)]
    for part in (sample.data, sample.indices, sample.indptr):
        digest.update(np.ascontiguousarray(part).tobytes())
    kind = column_dtype(pd.Series(np.zeros(1, dtype=matrix.dtype)))
    schema = [{"name": f"x{i}", "type": kind} for i in range(min(columns, _SCHEMA_COLUMNS))]
    return rows, columns, schema


def _as_frame(data: Any) -> pd.DataFrame:
    """A DataFrame view of features or a target: arrays, lists, Series."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame(name=str(data.name) if data.name is not None else "target")
    array = np.asarray(data)
    if array.ndim == 1:
        return pd.DataFrame({"target": array})
    if array.ndim != 2:
        array = array.reshape(array.shape[0], -1)
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])], copy=False)


def _sample_positions(rows: int) -> np.ndarray:
    if rows <= _SAMPLE_ROWS:
        return np.arange(rows)
    return np.linspace(0, rows - 1, _SAMPLE_ROWS).astype(np.int64)


def _listed(value: str | None) -> list[dict[str, Any]]:
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return []
    if not isinstance(parsed, list):
        return []
    return [entry for entry in parsed if isinstance(entry, dict)]


def _fitting_list(entries: list[dict[str, Any]]) -> str:
    """The list as JSON within a tag's length: the oldest entries give way to new ones."""
    text = json.dumps(entries, separators=(",", ":"))
    while len(text) > MAX_TAG_VALUE_LENGTH and len(entries) > 1:
        entries = entries[1:]
        text = json.dumps(entries, separators=(",", ":"))
    return text
