"""The batch transform's wire model, shared by its REST route and the Python client that
calls it through a Studio server."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from studio.jobs.schemas import MAX_PATH_LENGTH, Name
from studio.registry.batch import DEFAULT_CHUNK_ROWS, EXPERIMENT, MAX_CHUNK_ROWS
from studio.wire import WireIn

__all__ = ["BatchTransformIn"]

RootPath = Annotated[
    str,
    Field(
        min_length=1,
        max_length=MAX_PATH_LENGTH,
        description="A path relative to the server's root folder.",
    ),
]


class BatchTransformIn(WireIn, title="BatchTransformIn"):
    """Score a .csv or .parquet file, or a folder of them, with a model version."""

    input_path: RootPath
    output_path: RootPath | None = Field(
        None,
        description="None: <input stem>.predictions.<ext> (a file), <input>.predictions/ "
        "(a folder), beside the input.",
    )
    chunk_rows: int = Field(
        DEFAULT_CHUNK_ROWS, ge=1, le=MAX_CHUNK_ROWS, description="Rows read and scored at a time."
    )
    experiment: Name = Field(EXPERIMENT, description="The job's tracking run's experiment.")
