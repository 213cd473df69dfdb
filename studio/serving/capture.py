"""Data capture: each flush writes one complete, small Parquet file under the artifact root.

A Parquet file kept open across flushes is unreadable after a SIGKILL (its footer is written
last), so every flush writes a whole file: on a local root under a temporary name, synced,
renamed into place and its folder synced, so a reader never sees half a file; on any other
fsspec root as one object, which is durable once written. Files rotate by hour folder:
`capture/<endpoint>/<yyyy>/<mm>/<dd>/<hh>/<host>-<pid>-<epoch ms>-<seq>.parquet`. The host is
in the name because replicas on two machines can share pids; compaction of the small files is
left to whoever reads them (the model monitor).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import posixpath
import re
import socket
import time
from dataclasses import dataclass
from typing import Any, NamedTuple

import fsspec
import pyarrow as pa  # type: ignore[import-untyped]
import pyarrow.parquet as pq  # type: ignore[import-untyped]
from fsspec.implementations.local import LocalFileSystem

__all__ = ["CAPTURE_FOLDER", "CAPTURE_SCHEMA", "CaptureFile", "CaptureRecord", "CaptureWriter"]

CAPTURE_FOLDER = "capture"

CAPTURE_SCHEMA = pa.schema(
    [
        ("request_id", pa.string()),
        ("endpoint", pa.string()),
        ("variant", pa.string()),
        ("shadow", pa.bool_()),
        ("ts", pa.int64()),  # epoch ms of the answer
        ("latency_ms", pa.float64()),
        ("content_type", pa.string()),
        ("input", pa.binary()),  # the request body as received; on the primary's row only
        ("output", pa.string()),  # the predictions as JSON text
        ("error", pa.string()),
    ]
)

_UNSAFE = re.compile(r"[^A-Za-z0-9_.@=+-]")


class CaptureRecord(NamedTuple):
    """One variant's answer to one request, as buffered between flushes (a tuple: cheap)."""

    request_id: str
    variant: str
    shadow: bool
    ts: int
    latency_ms: float
    content_type: str | None
    body: bytes | None
    predictions: list[Any] | None
    error: str | None


@dataclass(frozen=True)
class CaptureFile:
    """A file written, as its pointer row in the store describes it."""

    path: str  # relative to the artifact root
    records: int
    bytes: int
    first_at: int
    last_at: int


def _path_part(text: str) -> str:
    """A name that is one safe path component whatever the endpoint or host is called."""
    cleaned = _UNSAFE.sub("_", text).strip(".") or "_"
    return cleaned[:100]


def _output_text(predictions: list[Any] | None) -> str | None:
    if predictions is None:
        return None
    try:
        return json.dumps(predictions, separators=(",", ":"), allow_nan=True)
    except (TypeError, ValueError):
        return json.dumps(repr(predictions))


class CaptureWriter:
    """Writes batches of capture records of one endpoint, one file per call."""

    def __init__(self, artifact_root: str, endpoint_name: str, *, host: str | None = None) -> None:
        self.endpoint_name = endpoint_name
        self._fs, self._root = fsspec.core.url_to_fs(artifact_root)
        self._local = isinstance(self._fs, LocalFileSystem)
        self._endpoint_part = _path_part(endpoint_name)
        self._host = _path_part(host or socket.gethostname())
        self._sequence = itertools.count(1)

    def relative_path(self, now_ms: int) -> str:
        stamp = time.gmtime(now_ms / 1000)
        pid = os.getpid()  # read here: a writer made before a fork must not reuse its parent's
        return posixpath.join(
            CAPTURE_FOLDER,
            self._endpoint_part,
            time.strftime("%Y/%m/%d/%H", stamp),
            f"{self._host}-{pid}-{now_ms}-{next(self._sequence)}.parquet",
        )

    def table(self, records: list[CaptureRecord]) -> pa.Table:
        columns = list(zip(*records, strict=True))
        (request_ids, variants, shadows, stamps, latencies, types, bodies, outputs, errors) = (
            columns
        )
        return pa.Table.from_arrays(
            [
                pa.array(request_ids, pa.string()),
                pa.array([self.endpoint_name] * len(records), pa.string()),
                pa.array(variants, pa.string()),
                pa.array(shadows, pa.bool_()),
                pa.array(stamps, pa.int64()),
                pa.array(latencies, pa.float64()),
                pa.array(types, pa.string()),
                pa.array(bodies, pa.binary()),
                pa.array([_output_text(output) for output in outputs], pa.string()),
                pa.array(errors, pa.string()),
            ],
            schema=CAPTURE_SCHEMA,
        )

    def write(self, records: list[CaptureRecord], now_ms: int | None = None) -> CaptureFile:
        """Write `records` (not empty) as one complete file; raises OSError when the store
        refuses, so that the caller keeps them for its next flush."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        sink = pa.BufferOutputStream()
        pq.write_table(self.table(records), sink, compression="zstd")
        data = sink.getvalue().to_pybytes()
        relative = self.relative_path(now_ms)
        target = posixpath.join(self._root, relative)
        if self._local:
            _write_local(target, data)
        else:
            self._fs.makedirs(posixpath.dirname(target), exist_ok=True)
            self._fs.pipe_file(target, data)
        stamps = [record.ts for record in records]
        return CaptureFile(relative, len(records), len(data), min(stamps), max(stamps))


def _write_local(target: str, data: bytes) -> None:
    folder = os.path.dirname(target)
    os.makedirs(folder, exist_ok=True)
    temporary = target + ".tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    # The rename itself is durable only once the folder's entry is on disk.
    folder_descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(folder_descriptor)
    finally:
        os.close(folder_descriptor)
