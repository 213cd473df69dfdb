"""Feedback: labels scored against stored predictions, before or after they are written."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from studio.errors import Conflict, InvalidInput
from studio.serving.entities import EndpointConfig, ServedVariant, Task, VariantRole
from studio.serving.feedback import endpoint_task, prune, record_feedback, record_feedback_batch
from studio.serving.orm import SqlEndpointFeedback, SqlEndpointPrediction
from tests.serving.test_recorder import answer, make_recorder

if TYPE_CHECKING:
    from pathlib import Path

    from studio.db.engine import Database
    from studio.serving.recorder import Recorder


def scores(database: Database) -> dict[tuple[str, str], tuple[Any, float | None, float | None]]:
    with database.session() as session:
        rows = session.execute(
            select(
                SqlEndpointPrediction.request_id,
                SqlEndpointPrediction.variant,
                SqlEndpointPrediction.label,
                SqlEndpointPrediction.score_sum,
                SqlEndpointPrediction.score_sq_sum,
            )
        ).all()
    return {(r, v): (label, s, sq) for r, v, label, s, sq in rows}


def waiting(database: Database) -> int:
    with database.session() as session:
        return int(session.scalar(select(func.count()).select_from(SqlEndpointFeedback)) or 0)


@pytest.fixture
def recorder(database: Database, tmp_path: Path) -> Recorder:
    return make_recorder(database, tmp_path, capture=0.0)


def test_a_label_after_the_flush_scores_every_variant_of_the_request(
    database: Database, recorder: Recorder
) -> None:
    answer(recorder, "r1", "A", predictions=["setosa"])
    answer(recorder, "r1", "S1", predictions=["virginica"])
    recorder.flush()
    eid = recorder.endpoint_id
    assert record_feedback(database, eid, "r1", "setosa", Task.CLASSIFICATION) == "scored"
    assert scores(database) == {
        ("r1", "A"): ("setosa", 1.0, 1.0),
        ("r1", "S1"): ("setosa", 0.0, 0.0),
    }
    with pytest.raises(Conflict, match="already has a label"):
        record_feedback(database, eid, "r1", "setosa", Task.CLASSIFICATION)


def test_a_label_before_the_flush_waits_and_the_flush_scores_it(
    database: Database, recorder: Recorder
) -> None:
    eid = recorder.endpoint_id
    answer(recorder, "r2", "A", predictions=[1, 0, 1], rows=3)
    assert record_feedback(database, eid, "r2", [1, 1, 1], Task.CLASSIFICATION) == "pending"
    with pytest.raises(Conflict):
        record_feedback(database, eid, "r2", [1, 1, 1], Task.CLASSIFICATION)
    recorder.flush()
    assert scores(database) == {("r2", "A"): ([1, 1, 1], 2.0, 2.0)}
    assert waiting(database) == 0
    # A shadow's answer written after the label gets it too.
    answer(recorder, "r2", "S1", predictions=[1, 1, 1], rows=3)
    recorder.close()
    assert scores(database)[("r2", "S1")] == ([1, 1, 1], 3.0, 3.0)


def test_multi_row_labels_must_match_the_request_and_regressions_score_errors(
    database: Database, tmp_path: Path
) -> None:
    recorder = make_recorder(database, tmp_path, capture=0.0, task=Task.REGRESSION)
    eid = recorder.endpoint_id
    answer(recorder, "r3", "A", predictions=[1.5, 2.0], rows=2)
    recorder.flush()
    with pytest.raises(InvalidInput, match="2 row"):
        record_feedback(database, eid, "r3", [1.0], Task.REGRESSION)
    with pytest.raises(InvalidInput, match="list of 2 labels"):
        record_feedback(database, eid, "r3", 1.0, Task.REGRESSION)
    with pytest.raises(InvalidInput, match="must be a number"):
        record_feedback(database, eid, "r3", ["a", "b"], Task.REGRESSION)
    assert record_feedback(database, eid, "r3", [1.0, 3.0], Task.REGRESSION) == "scored"
    assert scores(database) == {("r3", "A"): ([1.0, 3.0], 1.5, 1.25)}
    # A waiting label that turns out not to fit its request is dropped, the flush goes on.
    assert record_feedback(database, eid, "r4", [1.0], Task.REGRESSION) == "pending"
    answer(recorder, "r4", "A", predictions=[1.0, 2.0], rows=2)
    answer(recorder, "r5", "A", predictions=[4.0])
    recorder.close()
    assert waiting(database) == 0
    assert scores(database)[("r4", "A")] == (None, None, None)
    assert ("r5", "A") in scores(database)


def test_unknown_tasks_and_ids_are_refused_and_old_unmatched_rows_pruned(
    database: Database, recorder: Recorder
) -> None:
    eid = recorder.endpoint_id
    with pytest.raises(InvalidInput, match="task is unknown"):
        record_feedback(database, eid, "r1", 1, None)
    with pytest.raises(InvalidInput, match="request id"):
        record_feedback(database, eid, "x" * 65, 1, Task.CLASSIFICATION)
    with pytest.raises(InvalidInput, match="a number, a string or a boolean"):
        record_feedback(database, eid, "r1", {"a": 1}, Task.CLASSIFICATION)
    answer(recorder, "labelled", "A")
    answer(recorder, "unlabelled", "A")
    recorder.flush()
    record_feedback(database, eid, "labelled", 1, Task.CLASSIFICATION)
    record_feedback(database, eid, "never-seen", 1, Task.CLASSIFICATION)
    assert prune(database, eid, int(time.time() * 1000) - 60_000) == (0, 0)  # all recent
    assert prune(database, eid, int(time.time() * 1000) + 1) == (1, 1)
    assert set(scores(database)) == {("labelled", "A")}  # the evaluation's evidence stays
    assert waiting(database) == 0


def test_a_batch_of_labels_is_written_whole_or_not_at_all(
    database: Database, recorder: Recorder
) -> None:
    eid = recorder.endpoint_id
    answer(recorder, "b1", "A", predictions=[0])
    recorder.flush()
    with pytest.raises(Conflict):
        record_feedback_batch(database, eid, [("b1", 0), ("b2", 1), ("b2", 1)], Task.CLASSIFICATION)
    assert scores(database) == {("b1", "A"): (None, None, None)}
    assert waiting(database) == 0
    counts = record_feedback_batch(database, eid, [("b1", 0), ("b2", 1)], Task.CLASSIFICATION)
    assert counts == {"scored": 1, "pending": 1}
    assert scores(database) == {("b1", "A"): (0, 1.0, 1.0)}


def served(signature: dict[str, Any] | None) -> ServedVariant:
    return ServedVariant(
        "A",
        VariantRole.PRIMARY,
        1.0,
        1.0,
        "models:/m/1",
        1,
        "m",
        1,
        "p",
        "skops",
        "0",
        (),
        signature,
        None,
    )


@pytest.mark.parametrize(
    ("declared", "outputs", "expected"),
    [
        (Task.REGRESSION, {"dtype": "long"}, Task.REGRESSION),
        (None, {"dtype": "long"}, Task.CLASSIFICATION),
        (None, {"dtype": "double", "classes": [0.0, 1.0]}, Task.CLASSIFICATION),
        (None, {"dtype": "double"}, Task.REGRESSION),
        (None, None, None),
    ],
)
def test_the_task_is_declared_or_read_from_the_signature(
    declared: Task | None, outputs: dict[str, Any] | None, expected: Task | None
) -> None:
    signature = None if outputs is None else {"inputs": [], "outputs": outputs}
    config = EndpointConfig(1, "e", 1, 0.0, declared, None, (served(signature),))
    assert endpoint_task(config) is expected
