"""The Recorder: every answer counted once, predicted once, captured once, whatever fails."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select, text

from studio.config import StudioConfig
from studio.serving.entities import EndpointConfig, Task
from studio.serving.orm import SqlEndpointCapture, SqlEndpointPrediction, SqlEndpointStats
from studio.serving.recorder import Recorder
from tests.serving.endpoint_rows import insert_endpoint

if TYPE_CHECKING:
    from studio.db.engine import Database


def make_recorder(
    database: Database,
    tmp_path: Path,
    *,
    capture: float = 1.0,
    task: Task | None = Task.CLASSIFICATION,
    interval: float = 1.0,
) -> Recorder:
    endpoint_id = insert_endpoint(database)
    config = StudioConfig(home=tmp_path, db_url=database.url, artifact_root=str(tmp_path / "art"))
    recorder = Recorder(database, config, endpoint_id, "iris", "w1", flush_interval=interval)
    recorder.set_config(EndpointConfig(endpoint_id, "iris", 1, capture, task, None))
    return recorder


def answer(recorder: Recorder, request_id: str, variant: str = "A", **overrides: object) -> None:
    fields: dict[str, object] = {
        "request_id": request_id,
        "variant": variant,
        "shadow": variant.startswith("S"),
        "latency_ms": 1.25,
        "ok": True,
        "rows": 1,
        "body": b'{"inputs": [[1, 2]]}',
        "content_type": "application/json",
        "predictions": [1],
        "error": None,
    }
    fields.update(overrides)
    recorder.record(**fields)  # type: ignore[arg-type]


def captured_rows(tmp_path: Path) -> list[dict[str, object]]:
    return [
        row
        for file in sorted((tmp_path / "art" / "capture").rglob("*.parquet"))
        for row in pq.read_table(file).to_pylist()
    ]


def counted(database: Database) -> tuple[int, int, int]:
    with database.session() as session:
        invocations = session.scalar(
            select(func.coalesce(func.sum(SqlEndpointStats.invocations), 0))
        )
        predictions = session.scalar(select(func.count()).select_from(SqlEndpointPrediction))
        pointed = session.scalar(select(func.coalesce(func.sum(SqlEndpointCapture.records), 0)))
    return int(invocations or 0), int(predictions or 0), int(pointed or 0)


def test_concurrent_records_while_flushing_land_exactly_once(
    database: Database, tmp_path: Path
) -> None:
    recorder = make_recorder(database, tmp_path, interval=0.05)
    recorder.start()
    threads, per_thread = 8, 400

    def send(thread: int) -> None:
        for index in range(per_thread):
            answer(recorder, f"t{thread}-{index}", "AB"[index % 2])
            if index % 40 == 0:
                time.sleep(0.01)  # spread the records over several flushes

    workers = [threading.Thread(target=send, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    recorder.close()
    rows = captured_rows(tmp_path)
    keys = [(row["request_id"], row["variant"]) for row in rows]
    assert len(keys) == len(set(keys)) == threads * per_thread
    files = list((tmp_path / "art" / "capture").rglob("*"))
    assert not [file for file in files if file.name.endswith(".tmp")]
    assert len([file for file in files if file.suffix == ".parquet"]) > 1  # flushed meanwhile
    assert counted(database) == (threads * per_thread,) * 3
    with database.session() as session:
        seconds = session.execute(
            select(SqlEndpointStats.variant, func.sum(SqlEndpointStats.invocations)).group_by(
                SqlEndpointStats.variant
            )
        ).all()
    assert dict(seconds) == {"A": threads * per_thread // 2, "B": threads * per_thread // 2}
    assert recorder.pending() == 0


def test_a_refusing_store_and_artifact_root_lose_nothing(
    database: Database, tmp_path: Path
) -> None:
    recorder = make_recorder(database, tmp_path)
    blocker = tmp_path / "art" / "capture"
    blocker.parent.mkdir(parents=True)
    blocker.write_text("not a folder")
    with database.session(write=True) as session:
        session.execute(text("ALTER TABLE endpoint_predictions RENAME TO predictions_away"))
    try:
        for index in range(50):
            answer(recorder, f"r{index}")
        recorder.flush()  # both refuse: nothing written, nothing raised
        assert recorder.pending() > 0
        with database.session() as session:
            assert session.scalar(select(func.count()).select_from(SqlEndpointStats)) == 0
        for index in range(50, 80):
            answer(recorder, f"r{index}")
    finally:
        with database.session(write=True) as session:
            session.execute(text("ALTER TABLE predictions_away RENAME TO endpoint_predictions"))
        blocker.unlink()
    recorder.close()
    assert counted(database) == (80, 80, 80)
    assert sorted(row["request_id"] for row in captured_rows(tmp_path)) == sorted(
        f"r{index}" for index in range(80)
    )


def test_capture_samples_whole_requests_and_keeps_the_body_once(
    database: Database, tmp_path: Path
) -> None:
    recorder = make_recorder(database, tmp_path, capture=0.3)
    for index in range(2_000):
        answer(recorder, f"q{index}", "A")
        answer(recorder, f"q{index}", "S1")
    recorder.close()
    rows = captured_rows(tmp_path)
    variants: dict[object, set[object]] = {}
    for row in rows:
        variants.setdefault(row["request_id"], set()).add(row["variant"])
        assert (row["input"] is None) == row["shadow"]
    assert all(found == {"A", "S1"} for found in variants.values())
    assert 0.25 < len(variants) / 2_000 < 0.35
    invocations, predictions, pointed = counted(database)
    assert (invocations, predictions, pointed) == (4_000, 4_000, len(rows))


@pytest.mark.parametrize("task", [None, Task.REGRESSION])
def test_prediction_rows_only_for_a_known_task_and_a_good_answer(
    database: Database, tmp_path: Path, task: Task | None
) -> None:
    recorder = make_recorder(database, tmp_path, capture=0.0, task=task)
    answer(recorder, "ok", predictions=[1.5, 2.5], rows=2)
    answer(recorder, "failed", ok=False, predictions=None, error="bad column")
    recorder.close()
    with database.session() as session:
        stored = session.execute(
            select(SqlEndpointPrediction.request_id, SqlEndpointPrediction.prediction)
        ).all()
        errors = session.scalar(select(func.sum(SqlEndpointStats.errors)))
    assert stored == ([("ok", [1.5, 2.5])] if task else [])
    assert errors == 1
    assert not (tmp_path / "art" / "capture").exists()
