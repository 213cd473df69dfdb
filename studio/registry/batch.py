"""Batch transform: score a CSV or Parquet file, or a folder of them, with a registered model
version, as a Studio job.

`batch_transform` writes a template notebook beside the input and runs it as a notebook job
(`studio.jobs.run_notebook`), so it runs wherever the store's jobs run: the local executor,
or a Dask cluster when one is configured (every worker must then reach the input and output
paths). The notebook is an ordinary one: its `parameters` cell names the model, the input, the
output and the chunk size, and it calls `load_version` below and `score_files`
(`studio.registry.batch_files`, which scores chunk by chunk, so a file larger than memory
scores in constant memory). The job's tracking run gets the rows scored (a series, one point
a chunk) and the throughput.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput
from studio.jobs import notebooks
from studio.registry.batch_files import (
    DEFAULT_CHUNK_ROWS,
    MAX_CHUNK_ROWS,
    BatchSummary,
    default_output,
    input_files,
    score_files,
)

if TYPE_CHECKING:
    from studio.jobs.api_types import JobRun
    from studio.jobs.clients import RestJobs
    from studio.registry.entities import ModelVersion
    from studio.tracking.client import Client

__all__ = [
    "DEFAULT_CHUNK_ROWS",
    "EXPERIMENT",
    "MAX_CHUNK_ROWS",
    "BatchSummary",
    "batch_transform",
    "default_output",
    "input_files",
    "job_copy",
    "load_version",
    "model_version",
    "prepare_job",
    "score_files",
    "template_parameters",
    "template_path",
    "write_template",
]

TEMPLATE_SUFFIX = ".batch_transform.ipynb"
EXPERIMENT = "batch-transform"


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
    notebook, parameters = prepare_job(
        model_uri, source, output_path, chunk_rows, client.service.config.home
    )
    return run_notebook(
        notebook,
        parameters=parameters,
        experiment=name,
        name=f"batch-transform {source.name}"[:200],
        wait=wait,
    )


def prepare_job(
    model_uri: str,
    source: Path,
    output_path: str | Path | None,
    chunk_rows: int,
    home: Path,
) -> tuple[Path, dict[str, Any]]:
    """Check the input (a bad path fails before a job is queued), write the template beside
    it, and return the copy the job runs with the job's parameters."""
    input_files(source)
    parameters = template_parameters(model_uri, source, output_path, chunk_rows)
    notebook = write_template(template_path(source), parameters)
    return job_copy(notebook, home), parameters


def job_copy(notebook: Path, home: Path) -> Path:
    """A copy of the template for the job to run, in a folder of its own under the store's
    home (see `studio.jobs.notebooks.job_copy`)."""
    return notebooks.job_copy(notebook, home / "batch_transform")


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
        notebooks.markdown_cell(
            "# Batch transform\n\n"
            "Written by `studio.registry.batch.batch_transform`: scores `input_path` with the "
            "model version `model_uri`, `chunk_rows` rows at a time, and writes every input "
            "column plus `prediction` (and `probability_<class>` where the model has "
            "`predict_proba`) to `output_path` (None: `<input>.predictions.<ext>` beside the "
            "input). Run it again as it is, or change the parameters below."
        ),
        notebooks.code_cell(
            "\n".join(f"{name} = {value!r}" for name, value in parameters.items()),
            parameters=True,
        ),
        notebooks.code_cell(
            "import studio\n"
            "from studio.registry.batch import load_version, score_files\n\n"
            "model, version = load_version(model_uri)\n"
            "print(f'{version.uri}: {version.model_class}')"
        ),
        notebooks.code_cell(
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
    return notebooks.write_notebook(path, cells)


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
