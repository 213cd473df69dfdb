"""AutoML's data: read from a frame or a file, split into features and target, the task and
metric checked, and the cross-validation folds every candidate is scored on."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from studio.errors import InvalidInput
from studio.evaluation.data import read_table, split_target
from studio.evaluation.metrics import metrics_for
from studio.evaluation.tasks import check_task, default_metric
from studio.registry.batch_files import input_files

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "features_and_target",
    "make_splitter",
    "name_of",
    "read_columns",
    "read_data",
    "task_and_metric",
]

DEFAULT_FOLDS = 5
LARGE_DATA_ROWS = 100_000  # past it, 3 folds
MIN_ROWS = 10


def read_data(data: Any) -> pd.DataFrame:
    """A DataFrame as given, or a .csv / .parquet file (or a folder of them) read."""
    if isinstance(data, pd.DataFrame):
        return data
    if not isinstance(data, str | Path):
        raise InvalidInput(f"data must be a DataFrame or a path, not {type(data).__name__}.")
    return read_table(data)


def read_columns(path: Path) -> list[str]:
    """A file's (or a folder's first file's) column names, reading no rows."""
    first = input_files(path)[0]
    if first.suffix == ".parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

        return [str(name) for name in pq.read_schema(first).names]
    return [str(column) for column in pd.read_csv(first, nrows=0).columns]


def name_of(data: Any) -> str:
    if isinstance(data, str | Path):
        return Path(data).stem or "data"
    return str(getattr(data, "attrs", {}).get("name") or "dataframe")


def features_and_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, np.ndarray]:
    X, y = split_target(frame, target)
    if len(y) < MIN_ROWS:
        raise InvalidInput(f"AutoML needs at least {MIN_ROWS} rows with a {target!r} value.")
    return X.reset_index(drop=True), y.to_numpy()


def task_and_metric(task: str | None, metric: str | None, y: np.ndarray) -> tuple[str, str]:
    try:
        checked = check_task(task, y)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    metric = metric or default_metric(checked)
    if metric not in metrics_for(checked):
        raise InvalidInput(
            f"{metric!r} is not a {checked} metric; those are {', '.join(metrics_for(checked))}."
        )
    return checked, metric


def make_splitter(task: str, y: np.ndarray, seed: int) -> Any:
    from sklearn.model_selection import KFold, StratifiedKFold

    folds = 3 if len(y) > LARGE_DATA_ROWS else DEFAULT_FOLDS
    if task == "regression":
        return KFold(folds, shuffle=True, random_state=seed)
    smallest = int(pd.Series(y).value_counts().min())
    if smallest < 2:
        raise InvalidInput("Every class needs at least 2 rows for cross-validation.")
    return StratifiedKFold(min(folds, smallest), shuffle=True, random_state=seed)
