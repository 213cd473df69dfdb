"""Batch transform: score a CSV or Parquet file, or a folder of them, with a registered model
version, as a Studio job.

`batch_transform` writes a template notebook beside the input and runs it as a notebook job
(`studio.jobs.run_notebook`), so it runs wherever the store's jobs run: the local executor,
or a Dask cluster when one is configured (every worker must then reach the input and output
paths). The notebook is an ordinary one: its `parameters` cell names the model, the input, the
output and the chunk size, and it calls `load_version` and `score_files` below, which do the
work chunk by chunk (so a file larger than memory scores in constant memory). The job's
tracking run gets the rows scored (a series, one point a chunk) and the throughput.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from studio.jobs.api_types import JobRun
    from studio.jobs.clients import RestJobs
    from studio.registry.entities import ModelVersion
    from studio.tracking.client import Client

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "MAX_CHUNK_ROWS",
    "BatchSummary",
    "batch_transform",
    "default_output",
    "input_files",
    "load_version",
    "model_version",
    "score_files",
    "template_path",
    "write_template",
]

DEFAULT_CHUNK_ROWS = 50_000
MAX_CHUNK_ROWS = 5_000_000
FORMATS = {".csv": "csv", ".parquet": "parquet"}
"""The file suffixes scored, and the format each is read and written in."""
PREDICTION_COLUMN = "prediction"
PROBABILITY_PREFIX = "probability_"
TEMPLATE_SUFFIX = ".batch_transform.ipynb"
OUTPUT_SUFFIX = ".predictions"
EXPERIMENT = "batch-transform"
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


def batch_transform(
    model_uri: str,
    input_path: str | Path,
    output_path: str | Path | None = None,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    wait: bool = True,
    experiment: str | None = None,
) -> JobRun:
    """Score `input_path` (a .csv or .parquet file, or a folder of them) with `model_uri`
    (`models:/<name>/<version>`, `models:/<name>@<alias>`) as a notebook job.

    Predictions are written beside the input rows: every input column, then `prediction`,
    then `probability_<class>` for each class when the model has `predict_proba`. They go to
    `<input stem>.predictions.<ext>` beside a file, or to a folder `<input>.predictions/`
    beside a folder (one file per input file, same names), unless `output_path` says where
    (a file for a file, a folder for a folder). Rows are read `chunk_rows` at a time.

    The job runs a notebook this function writes beside the input,
    `<input stem>.batch_transform.ipynb`: open it to see what ran, change it, or run it again
    (by hand, or with `studio.jobs.run_notebook`); the job itself runs a copy kept in a
    folder of its own under the store's home (see `job_copy`). Through a Studio server
    (`STUDIO_TRACKING_URI=http(s)://...`) the server's scheduler runs it, and the paths are
    relative to the server's root folder. The job's tracking run (in `experiment`,
    default "batch-transform") records the rows scored and the throughput. With `wait` (the
    default) this returns once the job has ended; a missing column or a model that cannot be
    loaded makes it FAILED, its `error` saying why.
    """
    from studio.jobs.api import run_notebook, wait_for
    from studio.jobs.clients import LocalJobs, jobs_client

    client = jobs_client()
    name = experiment or EXPERIMENT
    if not isinstance(client, LocalJobs):
        queued = _through_server(client, model_uri, input_path, output_path, chunk_rows, name)
        return wait_for(queued.id) if wait else queued
    source = Path(input_path).expanduser().resolve()
    input_files(source)  # a bad path fails here, before a job is queued
    parameters = template_parameters(model_uri, source, output_path, chunk_rows)
    notebook = write_template(template_path(source), parameters)
    return run_notebook(
        job_copy(notebook, client.service.config.home),
        parameters=parameters,
        experiment=name,
        name=f"batch-transform {source.name}"[:200],
        wait=wait,
    )


def job_copy(notebook: Path, home: Path) -> Path:
    """A copy of the template in a folder of its own under the store's home, for the job to
    run: a job runs in its notebook's folder, and the Dask executor carries that whole folder
    to its worker, which must not be the input's (a large file there would travel too, or be
    refused). The notebook beside the input is the reader's."""
    folder = home / "batch_transform" / uuid.uuid4().hex
    folder.mkdir(parents=True)
    copy = folder / notebook.name
    shutil.copyfile(notebook, copy)
    return copy


def _through_server(
    client: RestJobs,
    model_uri: str,
    input_path: str | Path,
    output_path: str | Path | None,
    chunk_rows: int,
    experiment: str,
) -> JobRun:
    """Queue the batch transform on a Studio server (paths relative to its root folder)."""
    from urllib.parse import quote

    from studio.jobs.api_types import run_from_wire
    from studio.jobs.schemas import JobRunOut
    from studio.registry.batch_schemas import BatchTransformIn
    from studio.tracking.client import Client

    version = model_version(Client(), model_uri)
    body = BatchTransformIn(
        input_path=Path(input_path).as_posix(),
        output_path=None if output_path is None else Path(output_path).as_posix(),
        chunk_rows=chunk_rows,
        experiment=experiment,
    )
    path = f"/models/{quote(version.name, safe='')}/versions/{version.version}/batch-transform"
    return run_from_wire(client.tracking._json("POST", path, JobRunOut, body=body))


def template_parameters(
    model_uri: str, source: Path, output_path: str | Path | None, chunk_rows: int
) -> dict[str, Any]:
    """The notebook's parameters, checked: absolute paths, so that the job's working folder
    does not matter."""
    if not isinstance(chunk_rows, int) or not 1 <= chunk_rows <= MAX_CHUNK_ROWS:
        raise InvalidInput(f"chunk_rows must be an integer from 1 to {MAX_CHUNK_ROWS:,}.")
    if not model_uri.startswith("models:/"):
        raise InvalidInput(f"{model_uri!r} is not a model URI (models:/<name>/<version>).")
    output = None if output_path is None else str(Path(output_path).expanduser().resolve())
    if output is not None and Path(output) == source:
        raise InvalidInput("The output path must not be the input path.")
    return {
        "model_uri": model_uri,
        "input_path": str(source),
        "output_path": output,
        "chunk_rows": chunk_rows,
    }


def template_path(source: Path) -> Path:
    """Where the template notebook of a batch transform of `source` goes: beside it."""
    stem = source.name if source.is_dir() else source.stem
    return source.parent / f"{stem}{TEMPLATE_SUFFIX}"


def write_template(path: Path, parameters: Mapping[str, Any]) -> Path:
    """Write the batch transform's notebook at `path` (replacing an earlier one)."""
    cells = [
        _markdown_cell(
            "# Batch transform\n\n"
            "Written by `studio.registry.batch.batch_transform`: scores `input_path` with the "
            "model version `model_uri`, `chunk_rows` rows at a time, and writes every input "
            "column plus `prediction` (and `probability_<class>` where the model has "
            "`predict_proba`) to `output_path` (None: `<input>.predictions.<ext>` beside the "
            "input). Run it again as it is, or change the parameters below."
        ),
        _code_cell(
            "\n".join(f"{name} = {value!r}" for name, value in parameters.items()),
            metadata={"tags": ["parameters"]},
        ),
        _code_cell(
            "import studio\n"
            "from studio.registry.batch import load_version, score_files\n\n"
            "model, version = load_version(model_uri)\n"
            "print(f'{version.uri}: {version.model_class}')"
        ),
        _code_cell(
            "with studio.start_run(experiment='batch-transform') as run:\n"
            "    run.log_params({'model_uri': model_uri, 'model_version': version.uri,\n"
            "                    'input_path': input_path, 'chunk_rows': chunk_rows})\n"
            "    summary = score_files(\n"
            "        model, version.signature, input_path, output_path, chunk_rows=chunk_rows,\n"
            "        on_chunk=lambda rows: run.log_metric('rows_scored', rows, step=rows),\n"
            "    )\n"
            "    run.log_metrics({'rows': summary.rows, 'seconds': summary.seconds,\n"
            "                     'rows_per_second': summary.rows_per_second})\n"
            "for source, target in summary.files:\n"
            "    print(f'{source} -> {target}')\n"
            "print(f'{summary.rows:,} rows in {summary.seconds:.2f} s "
            "({summary.rows_per_second:,.0f} rows/s)')"
        ),
    ]
    notebook = {
        "cells": [{"id": f"cell-{index}", **cell} for index, cell in enumerate(cells)],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise InvalidInput(f"Cannot write the notebook {str(path)!r}: {exc.strerror}") from exc
    return path


def _markdown_cell(source: str) -> dict[str, Any]:
    return {"cell_type": "markdown", "metadata": {}, "source": source}


def _code_cell(source: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": metadata or {},
        "outputs": [],
        "source": source,
    }


# In the job's kernel ---------------------------------------------------------------------------


def model_version(client: Client, model_uri: str) -> ModelVersion:
    """The registered version a models:/ URI names now (a number, an alias, or latest)."""
    from studio.registry.uri import parse_model_uri

    ref = parse_model_uri(model_uri)
    return client.get_model_version(ref.name, ref.version or ref.alias or "latest")


def load_version(model_uri: str, *, trusted: bool = False) -> tuple[Any, ModelVersion]:
    """The model a URI names, loaded as the registry allows (its approved types), with its
    version (for the signature)."""
    from studio.tracking.client import Client

    client = Client()
    version = model_version(client, model_uri)
    return client.load_model(version.uri, trusted=trusted), version


def input_files(source: Path) -> list[Path]:
    """The files a batch transform of `source` scores: itself, or the .csv and .parquet files
    in the folder (not in its subfolders), by name."""
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
