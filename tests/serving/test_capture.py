"""Capture files: one complete Parquet file per flush, local (renamed into place) or remote."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

import fsspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from studio.serving.capture import CAPTURE_SCHEMA, CaptureRecord, CaptureWriter

if TYPE_CHECKING:
    from pathlib import Path

NOW_MS = 1_780_000_000_123  # 2026-05-28 20:26:40 UTC

RECORDS = [
    CaptureRecord(
        "r1", "A", False, NOW_MS - 5, 1.5, "application/json", b'{"inputs": [[1]]}', [1], None
    ),
    CaptureRecord("r1", "S", True, NOW_MS - 4, 2.5, "application/json", None, [0], None),
    CaptureRecord("r2", "B", False, NOW_MS, 0.7, "text/csv", b"x\n2\n", None, "boom"),
]


def test_a_local_file_is_complete_named_by_hour_and_writer_with_no_temporary_left(
    tmp_path: Path,
) -> None:
    writer = CaptureWriter(str(tmp_path), "my endpoint/1", host="box")
    written = writer.write(RECORDS, NOW_MS)
    second = writer.write(RECORDS[:1], NOW_MS)
    assert re.fullmatch(
        rf"capture/my_endpoint_1/2026/05/28/20/box-\d+-{NOW_MS}-1\.parquet", written.path
    )
    assert second.path.endswith(f"-{NOW_MS}-2.parquet")
    assert (written.records, written.first_at, written.last_at) == (3, NOW_MS - 5, NOW_MS)
    file = tmp_path / written.path
    assert written.bytes == file.stat().st_size
    assert sorted(p.name for p in file.parent.iterdir()) == sorted(
        [file.name, (tmp_path / second.path).name]
    )
    table = pq.read_table(file)
    assert table.schema == CAPTURE_SCHEMA
    rows = table.to_pylist()
    assert [row["request_id"] for row in rows] == ["r1", "r1", "r2"]
    assert rows[0]["input"] == b'{"inputs": [[1]]}'
    assert rows[1]["input"] is None
    assert rows[1]["shadow"] is True
    assert json.loads(rows[0]["output"]) == [1]
    assert (rows[2]["output"], rows[2]["error"], rows[2]["content_type"]) == (
        None,
        "boom",
        "text/csv",
    )
    assert {row["endpoint"] for row in rows} == {"my endpoint/1"}


def test_a_remote_root_gets_the_file_as_one_object() -> None:
    root = "memory://capture-test-root"
    writer = CaptureWriter(root, "iris", host="box")
    written = writer.write(RECORDS, NOW_MS)
    fs, base = fsspec.core.url_to_fs(root)
    try:
        data = fs.cat_file(f"{base}/{written.path}")
        assert len(data) == written.bytes
        table = pq.read_table(pa.BufferReader(data))
        assert table.column("variant").to_pylist() == ["A", "S", "B"]
    finally:
        fs.rm(base, recursive=True)


def test_a_refused_write_raises_and_leaves_no_partial_file(tmp_path: Path) -> None:
    (tmp_path / "capture").write_text("a file where the folder should be")
    writer = CaptureWriter(str(tmp_path), "iris")
    with pytest.raises((FileExistsError, NotADirectoryError)):
        writer.write(RECORDS, NOW_MS)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["capture"]
