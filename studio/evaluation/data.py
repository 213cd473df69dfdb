"""Tables to train on: read a CSV or Parquet file (or a folder of them), describe it for the
train dialog, and split off the target column.

Built-in training and AutoML read their data here, so both accept the same files and say the
same things about the ones they refuse.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from studio.errors import InvalidInput
from studio.evaluation.preprocessing import column_kinds, distinct_count
from studio.evaluation.schemas import MAX_COLUMNS_SHOWN, MAX_PREVIEW_ROWS, MAX_WARNINGS
from studio.registry.batch_files import input_files

__all__ = [
    "MAX_CLASSES_SHOWN",
    "MAX_INSPECTED_ROWS",
    "MissingTargetWarning",
    "inspect_dataset",
    "read_table",
    "split_target",
]

# The classes inspect_dataset lists; a target with more is most likely not a class label.
MAX_CLASSES_SHOWN = 100
MAX_SHOWN_CHARS = 200  # of a preview's cell or a class label: a dialog shows no megabyte
# The rows the server reads to describe a file or check a train request: a dialog must not
# load a file of many gigabytes into the server's memory (the job reads every row).
MAX_INSPECTED_ROWS = 100_000


class MissingTargetWarning(UserWarning):
    """Rows without a target value were left out."""


def read_table(path: str | Path, *, max_rows: int | None = None) -> pd.DataFrame:
    """The rows of a .csv or .parquet file, or of every such file in a folder (not its
    subfolders, nor symbolic links leading out of it), in name order, with string column
    names (what scikit-learn wants); with `max_rows`, only the first ones.

    NotFound when nothing is there; InvalidInput for another kind of file, an empty folder, or
    a file pandas cannot parse, naming it.
    """
    source = Path(path).expanduser()
    frames = []
    left = max_rows
    for file in input_files(source):
        frames.append(_read_file(file, left))
        if left is not None:
            left -= len(frames[-1])
            if left <= 0:
                break
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frame.columns = [str(name) for name in frame.columns]
    repeated = sorted(set(frame.columns[frame.columns.duplicated()]))
    if repeated:
        names = ", ".join(repr(name[:100]) for name in repeated[:10])
        raise InvalidInput(f"Column names repeat in {source.name!r}: {names}; rename them.")
    return frame


def _read_file(file: Path, max_rows: int | None = None) -> pd.DataFrame:
    try:
        if file.suffix == ".csv":
            return pd.read_csv(file, nrows=max_rows)
        if max_rows is not None:
            return _read_parquet_head(file, max_rows)
        return pd.read_parquet(file)
    except pd.errors.EmptyDataError:
        raise InvalidInput(f"{file.name!r} is empty: no header, no rows.") from None
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        # pyarrow's errors (ArrowInvalid) are ValueErrors; a bad CSV is a ParserError.
        message = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
        raise InvalidInput(f"Cannot read {file.name!r}: {message}") from exc


def _read_parquet_head(file: Path, max_rows: int) -> pd.DataFrame:
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    with pq.ParquetFile(file) as parquet:
        batches = []
        kept = 0
        for batch in parquet.iter_batches(batch_size=min(max_rows, 65_536)):
            batches.append(batch.slice(0, max_rows - kept))
            kept += len(batches[-1])
            if kept >= max_rows:
                break
        table = pa.Table.from_batches(batches, schema=parquet.schema_arrow)
    return table.to_pandas()


def split_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    """The features and the target column; rows without a target are left out, with a
    `MissingTargetWarning` counting them. InvalidInput when the column is not there, or no
    row has a target."""
    _check_target(frame, target)
    y = frame[target]
    missing = int(y.isna().sum())
    if missing == len(frame):
        raise InvalidInput(f"The target column {target!r} has no value in any row.")
    if missing:
        warnings.warn(
            f"{missing:,} of {len(frame):,} rows have no {target!r} value; they were left out.",
            MissingTargetWarning,
            stacklevel=2,
        )
        kept = y.notna()
        frame, y = frame[kept], y[kept]
    return frame.drop(columns=[target]), y


def _check_target(frame: pd.DataFrame, target: str) -> None:
    if target not in frame.columns:
        names = ", ".join(repr(name) for name in list(frame.columns)[:50])
        raise InvalidInput(f"No column {target!r}; the columns are {names}.")


def inspect_dataset(path: str | Path, target: str | None = None) -> dict[str, Any]:
    """What the train dialog shows of a file (`schemas.DatasetOut`'s fields): its columns with
    their kinds, missing and distinct values, the first rows, and, with a target, the task it
    implies, its classes and what training will leave out."""
    from studio.evaluation.tasks import infer_task, is_classification

    frame = read_table(path, max_rows=MAX_INSPECTED_ROWS + 1)
    sampled = len(frame) > MAX_INSPECTED_ROWS
    frame = frame.iloc[:MAX_INSPECTED_ROWS]
    kinds = column_kinds(frame)
    shown = list(frame.columns[:MAX_COLUMNS_SHOWN])
    if target is not None and target in frame.columns and target not in shown:
        shown.append(target)
    columns = [
        {
            "name": name,
            "dtype": str(frame[name].dtype),
            "kind": kinds[name],
            "missing": int(frame[name].isna().sum()),
            "unique": distinct_count(frame[name]) or 0,
        }
        for name in shown
    ]
    warnings_found = [
        f"{name!r} looks like {_KIND_WORDS[kind]}: training leaves it out."
        for name, kind in kinds.items()
        if kind in _KIND_WORDS and name != target
    ]
    if sampled:
        warnings_found.insert(
            0, f"Only the first {MAX_INSPECTED_ROWS:,} rows were read: the counts are theirs."
        )
    task = None
    classes = None
    if target is not None:
        _check_target(frame, target)
        y = frame[target].dropna()
        missing = len(frame) - len(y)
        if missing:
            warnings_found.append(
                f"{missing:,} of {len(frame):,} rows have no {target!r} value: training "
                "leaves them out."
            )
        if (distinct_count(y) or 0) < 2:
            warnings_found.append(f"The target {target!r} has fewer than 2 distinct values.")
        else:
            task = infer_task(y)
            if is_classification(task):
                values = sorted(y.unique(), key=str)
                classes = [_shown(value) for value in values[:MAX_CLASSES_SHOWN]]
    if len(frame.columns) > len(shown):
        warnings_found.insert(
            0, f"{len(frame.columns):,} columns: only the first {MAX_COLUMNS_SHOWN:,} are listed."
        )
    if len(warnings_found) > MAX_WARNINGS:
        more = len(warnings_found) - MAX_WARNINGS
        warnings_found = [*warnings_found[:MAX_WARNINGS], f"... and {more:,} more warnings."]
    preview = _preview(frame[shown].head(MAX_PREVIEW_ROWS))
    return {
        "path": str(path),
        "rows": len(frame),
        "columns": columns,
        "total_columns": len(frame.columns),
        "target": target,
        "task": task,
        "classes": classes,
        "preview": preview,
        "warnings": warnings_found,
    }


def _preview(head: pd.DataFrame) -> list[dict[str, Any]]:
    """The first rows as JSON, long text cut (a dialog shows no megabyte cell)."""
    binary = [
        name
        for name in head.columns
        if head[name].dtype == object and head[name].map(lambda v: isinstance(v, bytes)).any()
    ]
    if binary:  # to_json would write their bytes as they are: not UTF-8, not JSON
        head = head.assign(**{name: head[name].map(_shown) for name in binary})
    records: list[dict[str, Any]] = json.loads(
        head.to_json(orient="records", date_format="iso", default_handler=_shown)
    )
    return [
        {name: _shown(value) if isinstance(value, str) else value for name, value in row.items()}
        for row in records
    ]


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, bytes) else str(value)
    return text if len(text) <= MAX_SHOWN_CHARS else text[: MAX_SHOWN_CHARS - 1] + "…"


_KIND_WORDS = {"id": "an identifier", "text": "free text", "datetime": "a date"}
