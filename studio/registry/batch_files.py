"""Scoring files for a batch transform: a CSV or Parquet file, or a folder of them, read
chunk by chunk (so a file larger than memory scores in constant memory), checked against the
model's signature, and written beside the input rows. What the batch transform's notebook
calls in the job's kernel (see `studio.registry.batch`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "MAX_CHUNK_ROWS",
    "BatchSummary",
    "default_output",
    "input_files",
    "score_files",
]

DEFAULT_CHUNK_ROWS = 50_000
MAX_CHUNK_ROWS = 5_000_000
FORMATS = {".csv": "csv", ".parquet": "parquet"}
"""The file suffixes scored, and the format each is read and written in."""
PREDICTION_COLUMN = "prediction"
PROBABILITY_PREFIX = "probability_"
OUTPUT_SUFFIX = ".predictions"
NUMERIC_DTYPES = frozenset({"integer", "long", "float", "double"})


@dataclass(frozen=True)
class BatchSummary:
    """What a batch transform scored: each input file with the file its predictions went to."""

    files: tuple[tuple[str, str], ...]
    rows: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


def input_files(source: Path) -> list[Path]:
    """The files a batch transform of `source` scores: itself, or the .csv and .parquet files
    in the folder (not in its subfolders), by name. A link in the folder to a file elsewhere
    is refused: the folder was checked to be under the server's root, its links were not."""
    try:
        source.stat()
    except FileNotFoundError:
        raise NotFound(f"No file or folder at {str(source)!r}.") from None
    except OSError as exc:  # a name too long, a path through a file
        raise InvalidInput(f"Cannot read {str(source)[:300]!r}: {exc.strerror}") from None
    if source.is_dir():
        found = sorted(p for p in source.iterdir() if p.is_file() and p.suffix in FORMATS)
        if not found:
            raise InvalidInput(f"The folder {str(source)!r} holds no .csv or .parquet file.")
        folder = source.resolve()
        for file in found:
            if file.resolve().parent != folder:
                raise InvalidInput(
                    f"{file.name!r} in {source.name!r} is a link to a file outside the folder."
                )
        return found
    if not source.is_file():
        raise NotFound(f"No file or folder at {str(source)!r}.")
    if source.suffix not in FORMATS:
        raise InvalidInput(f"{source.name!r} is neither a .csv nor a .parquet file.")
    return [source]


def default_output(source: Path) -> Path:
    """Where predictions go when no output path is given: beside the input."""
    if source.is_dir():
        return source.parent / f"{source.name}{OUTPUT_SUFFIX}"
    return source.with_name(f"{source.stem}{OUTPUT_SUFFIX}{source.suffix}")


def score_files(
    model: Any,
    signature: Mapping[str, Any] | None,
    input_path: str | Path,
    output_path: str | Path | None = None,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    on_chunk: Any = None,
) -> BatchSummary:
    """Score every input file chunk by chunk (see `batch_transform` for where predictions
    go). Every file's columns are checked against the signature before any is scored: a
    missing column is an InvalidInput naming it and the file. `on_chunk(rows so far)` is
    called after each chunk."""
    source = Path(input_path)
    sources = input_files(source)
    target = Path(output_path) if output_path is not None else default_output(source)
    if source.is_dir():
        target.mkdir(parents=True, exist_ok=True)
        targets = [target / path.name for path in sources]
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        targets = [target]
    columns = _signature_columns(model, signature)
    for path in sources:
        _check_columns(path, _file_columns(path), columns)
    started = time.perf_counter()
    rows = 0
    for path, written in zip(sources, targets, strict=True):
        for chunk in _scored_chunks(model, signature, columns, path, written, chunk_rows):
            rows += chunk
            if on_chunk is not None:
                on_chunk(rows)
    files = tuple((str(s), str(t)) for s, t in zip(sources, targets, strict=True))
    return BatchSummary(files=files, rows=rows, seconds=time.perf_counter() - started)


def _signature_columns(model: Any, signature: Mapping[str, Any] | None) -> list[str] | None:
    """The columns the model reads, in order; None: every column of the file."""
    if signature and signature.get("inputs"):
        return [str(column["name"]) for column in signature["inputs"]]
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def _file_columns(path: Path) -> list[str]:
    if FORMATS[path.suffix] == "csv":
        import pandas as pd

        return [str(c) for c in pd.read_csv(path, nrows=0).columns]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    return list(pq.ParquetFile(path).schema_arrow.names)


def _check_columns(path: Path, found: Sequence[str], expected: Sequence[str] | None) -> None:
    if expected is None:
        return
    missing = [name for name in expected if name not in set(found)]
    if missing:
        raise InvalidInput(
            f"{path.name}: missing column(s) {missing[:20]}; the model's signature names "
            f"{len(expected)} input columns."
        )


def _read_chunks(path: Path, chunk_rows: int) -> Iterator[pd.DataFrame]:
    if FORMATS[path.suffix] == "csv":
        import pandas as pd

        with pd.read_csv(path, chunksize=chunk_rows) as reader:
            yield from reader
        return
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    for batch in pq.ParquetFile(path).iter_batches(batch_size=chunk_rows):
        yield batch.to_pandas()


def _features(
    chunk: pd.DataFrame,
    columns: Sequence[str] | None,
    signature: Mapping[str, Any] | None,
    path: Path,
    first_row: int,
) -> Any:
    """The chunk's model input: the signature's columns in its order, numeric ones checked.
    A model fitted on an array (no feature names) gets an array, as it was fitted."""
    import pandas as pd

    frame = chunk if columns is None else chunk[list(columns)]
    dtypes = {c["name"]: c.get("dtype") for c in (signature or {}).get("inputs", [])}
    for name, dtype in dtypes.items():
        if dtype in NUMERIC_DTYPES and not pd.api.types.is_numeric_dtype(frame[name]):
            numbers = pd.to_numeric(frame[name], errors="coerce")
            bad = frame[name][numbers.isna() & frame[name].notna()]
            if len(bad):
                row = first_row + int(bad.index[0] - chunk.index[0])
                raise InvalidInput(
                    f"{path.name}: column {name!r} expects {dtype}, "
                    f"got {bad.iloc[0]!r} at row {row}."
                )
            frame = frame.assign(**{name: numbers})
    return frame


def _predict(model: Any, features: Any) -> tuple[Any, Any, list[str]]:
    """Predictions, probabilities (or None) and their column names."""
    data = features if hasattr(model, "feature_names_in_") else features.to_numpy()
    predictions = model.predict(data)
    if not hasattr(model, "predict_proba"):
        return predictions, None, []
    classes = getattr(model, "classes_", None)
    if classes is None:
        return predictions, None, []
    names = [f"{PROBABILITY_PREFIX}{label}" for label in classes]
    return predictions, model.predict_proba(data), names


def _scored_chunks(
    model: Any,
    signature: Mapping[str, Any] | None,
    columns: Sequence[str] | None,
    path: Path,
    target: Path,
    chunk_rows: int,
) -> Iterator[int]:
    """Score one file into `target`, written whole or not at all (a temporary file renamed at
    the end); yields the rows of each chunk once written."""
    import pyarrow as pa  # type: ignore[import-untyped,unused-ignore]
    import pyarrow.parquet as pq  # type: ignore[import-untyped,unused-ignore]

    fmt = FORMATS[path.suffix]
    tmp = target.with_name(f".{target.name}.tmp")
    writer: pq.ParquetWriter | None = None
    done = 0
    try:
        with open(tmp, "wb") as out:
            for chunk in _read_chunks(path, chunk_rows):
                if chunk.empty:  # a file of a header alone
                    continue
                features = _features(chunk, columns, signature, path, done)
                predictions, probabilities, names = _predict(model, features)
                scored = chunk.assign(**{PREDICTION_COLUMN: predictions})
                if probabilities is not None:
                    scored = scored.assign(**dict(zip(names, probabilities.T, strict=True)))
                if fmt == "csv":
                    scored.to_csv(out, header=done == 0, index=False)
                else:
                    table = pa.Table.from_pandas(scored, preserve_index=False)
                    if writer is None:
                        writer = pq.ParquetWriter(out, table.schema)
                    writer.write_table(table)
                done += len(chunk)
                yield len(chunk)
            if writer is not None:
                writer.close()
                writer = None
            elif done == 0:  # no row: the input's columns and `prediction`, empty
                columns = [*_file_columns(path), PREDICTION_COLUMN]
                if fmt == "csv":
                    out.write((",".join(columns) + "\n").encode())
                else:
                    schema = pq.ParquetFile(path).schema_arrow
                    schema = schema.append(pa.field(PREDICTION_COLUMN, pa.float64()))
                    pq.write_table(schema.empty_table(), out)
        os.replace(tmp, target)
    finally:
        if writer is not None:
            writer.close()
        tmp.unlink(missing_ok=True)
