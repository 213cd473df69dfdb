"""The Recorder: every answer counted once, predicted once, captured once, whatever fails."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, insert, select, text

from studio.config import StudioConfig
from studio.serving import recorder as recorder_module
from studio.serving.entities import Task
from studio.serving.orm import SqlEndpointCapture, SqlEndpointPrediction, SqlEndpointStats
from studio.serving.recorder import Recorder
from tests.serving.endpoint_rows import endpoint_config, insert_endpoint

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
    served = endpoint_config(database, capture=capture)
    assert served.task is None  # declared nowhere: implied by the signature
    config = StudioConfig(home=tmp_path, db_url=database.url, artifact_root=str(tmp_path / "art"))
    recorder = Recorder(database, config, served.endpoint_id, "iris", "w1", flush_interval=interval)
    if task is Task.CLASSIFICATION:
        recorder.set_config(served)
    else:  # a regression, or a model whose signature says nothing of its output
        recorder.set_config(replace(served, task=task, variants=()))
    assert recorder.task is task
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


RECORDING_CHILD = """
import sys, time
from studio.config import StudioConfig
from studio.db.engine import Database
from studio.serving.entities import EndpointConfig, Task
from studio.serving.recorder import Recorder

url, root, endpoint_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
database = Database(url)
config = StudioConfig(home=root, db_url=url, artifact_root=root)
recorder = Recorder(database, config, endpoint_id, "iris", "child")
recorder.set_config(EndpointConfig(endpoint_id, "iris", 1, 1.0, Task.CLASSIFICATION, None))
recorder.record(request_id="k0", variant="A", shadow=False, latency_ms=1.0, ok=True,
                rows=1, body=b"{}", content_type=None, predictions=[1], error=None)
recorder.flush()  # the first flush (connections, schema check, codecs) before the clock runs
recorder.start()
index = 1
while True:
    recorder.record(request_id=f"k{index}", variant="A", shadow=False, latency_ms=1.0, ok=True,
                    rows=1, body=b"{}", content_type=None, predictions=[1], error=None)
    if index % 50 == 0:
        print(index, time.time(), flush=True)  # everything up to `index` is acknowledged
    index += 1
    time.sleep(0.0005)
"""


def test_a_sigkill_loses_at_most_the_last_flush_interval(
    database: Database, tmp_path: Path
) -> None:
    endpoint_id = insert_endpoint(database)
    root = tmp_path / "art"
    child = subprocess.Popen(
        [sys.executable, "-c", RECORDING_CHILD, database.url, str(root), str(endpoint_id)],
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[tuple[int, float]] = []
    try:
        assert child.stdout is not None
        while not acknowledged or time.time() - acknowledged[0][1] < 3.5:
            line = child.stdout.readline()
            assert line, "the recording process ended early"
            index, stamp = line.split()
            acknowledged.append((int(index), float(stamp)))
    finally:
        child.kill()
        killed_at = time.time()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    ids = [int(str(row["request_id"])[1:]) for row in captured_rows(tmp_path)]
    assert sorted(ids) == list(range(len(ids)))  # complete files, each record once, in order
    # A flush every second: what was acknowledged 2.5 s before the kill (1.5 s of slack for
    # a loaded machine) is in a file.
    settled = max(index for index, stamp in acknowledged if stamp < killed_at - 2.5)
    assert len(ids) > settled, f"{len(ids)} captured, {settled + 1} acknowledged 2.5 s before"
    assert not list(root.rglob("*.tmp"))


def test_the_first_flush_prunes_what_is_too_old(database: Database, tmp_path: Path) -> None:
    recorder = make_recorder(database, tmp_path, capture=0.0)
    old = {"endpoint_id": recorder.endpoint_id, "variant": "A", "shadow": False}
    with database.session(write=True) as session:
        session.execute(
            insert(SqlEndpointPrediction),
            [{**old, "request_id": "ancient", "prediction": [1], "rows": 1, "created_at": 1}],
        )
        session.execute(
            insert(SqlEndpointStats),
            [
                {**old, "second": 1, "worker": "w0", "invocations": 1, "errors": 0, "rows": 1,
                 "latency_sum_ms": 1.0, "latency_hist": [1]}
            ],
        )  # fmt: skip
    answer(recorder, "recent")
    recorder.close()
    assert counted(database) == (1, 1, 0)  # the recent answer only


def test_beyond_the_bound_answers_are_counted_but_their_rows_dropped(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recorder_module, "MAX_BUFFERED", 10)
    recorder = make_recorder(database, tmp_path)
    for index in range(15):
        answer(recorder, f"r{index}")
    assert recorder.dropped == 10  # 5 prediction rows and 5 capture records
    recorder.close()
    assert counted(database) == (15, 10, 10)
