"""Labels for served requests: scored against what each variant predicted for them.

A serving worker writes its prediction rows once a second (the Recorder's flush), so a label
can arrive before its request's predictions are in the store: it waits in `endpoint_feedback`
and every flush matches the waiting ones whose predictions have landed. A request answered by
a primary and copied to shadows has one row per variant; each row is scored with the same
label, the shadows' included, whichever of them lands first. A label counts once: a second
one for the same request is a conflict. Labels that never find a prediction, and predictions
never labelled, are pruned by age; labelled predictions are the online evaluation's evidence
and stay.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.orm import aliased

from studio.errors import Conflict, InvalidInput
from studio.serving.entities import Task, VariantRole
from studio.serving.orm import REQUEST_ID_LENGTH, SqlEndpointFeedback, SqlEndpointPrediction

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database
    from studio.serving.entities import EndpointConfig

__all__ = [
    "KEEP_UNLABELLED_MS",
    "endpoint_task",
    "match_waiting_labels",
    "prune",
    "record_feedback",
    "record_feedback_batch",
    "score",
]

KEEP_UNLABELLED_MS = 7 * 24 * 3600 * 1000
"""How long a prediction waits for its label, and a label for its prediction."""

# A label that lands while a sibling row (a shadow's) is being written in another transaction
# is copied onto it by a later flush looking back this far.
SIBLING_LOOKBACK_MS = 3_000

_CLASSIFICATION_DTYPES = frozenset({"long", "integer", "string", "boolean"})
_REGRESSION_DTYPES = frozenset({"double", "float"})

_Prediction = SqlEndpointPrediction
_Feedback = SqlEndpointFeedback


def endpoint_task(config: EndpointConfig) -> Task | None:
    """The endpoint's task as declared, or inferred from its first primary variant's output
    signature (classes or a discrete dtype: classification; a float: regression)."""
    if config.task is not None:
        return config.task
    primaries = [v for v in config.variants if v.role is VariantRole.PRIMARY]
    for variant in primaries[:1]:
        outputs = (variant.signature or {}).get("outputs") or {}
        if outputs.get("classes"):
            return Task.CLASSIFICATION
        dtype = outputs.get("dtype")
        if dtype in _CLASSIFICATION_DTYPES:
            return Task.CLASSIFICATION
        if dtype in _REGRESSION_DTYPES:
            return Task.REGRESSION
    return None


def _labels(label: Any, rows: int) -> list[Any]:
    if isinstance(label, list):
        if len(label) != rows:
            raise InvalidInput(
                f"The request had {rows} row(s) but the feedback gives {len(label)} label(s): "
                "send one label per row, in the request's order."
            )
        return label
    if rows != 1:
        raise InvalidInput(
            f"The request had {rows} rows: send a list of {rows} labels, one per row."
        )
    return [label]


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"A regression label must be a number, not {value!r}.")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"A regression label must be a finite number, not {value!r}.")
    return number


def _same(predicted: Any, label: Any) -> bool:
    numbers = (int, float)
    if isinstance(predicted, numbers) and isinstance(label, numbers):
        return float(predicted) == float(label)
    return predicted == label or str(predicted) == str(label)


def check_label(label: Any, task: Task) -> None:
    """Refuse what could never score: nested lists, non-numbers for a regression."""
    values = label if isinstance(label, list) else [label]
    for value in values:
        if isinstance(value, (dict, list)) or value is None:
            raise InvalidInput(f"A label must be a number, a string or a boolean, not {value!r}.")
        if task is Task.REGRESSION:
            _number(value)


def score(prediction: list[Any], rows: int, label: Any, task: Task) -> tuple[float, float]:
    """(Σ score, Σ score²) over the request's rows: rows right for a classification (each 0
    or 1, so both sums agree), absolute errors for a regression."""
    labels = _labels(label, rows)
    predicted = prediction if isinstance(prediction, list) else [prediction]
    if len(predicted) != rows:
        raise InvalidInput(f"The stored prediction has {len(predicted)} rows, not {rows}.")
    if task is Task.CLASSIFICATION:
        right = float(sum(_same(p, y) for p, y in zip(predicted, labels, strict=True)))
        return right, right
    try:
        errors = [abs(float(p) - _number(y)) for p, y in zip(predicted, labels, strict=True)]
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"The prediction is not numeric, so it cannot be scored: {exc}") from exc
    return sum(errors), sum(error * error for error in errors)


def _label_rows(
    session: Session,
    endpoint_id: int,
    request_id: str,
    rows: list[Any],
    label: Any,
    task: Task,
    now_ms: int,
) -> None:
    """Label each (variant, prediction, rows) of a request; Conflict if one was labelled."""
    scored = [
        (variant, score(prediction, count, label, task)) for variant, prediction, count in rows
    ]
    for variant, (total, total_sq) in scored:
        result = session.execute(
            update(_Prediction)
            .where(
                _Prediction.endpoint_id == endpoint_id,
                _Prediction.request_id == request_id,
                _Prediction.variant == variant,
                _Prediction.labelled_at.is_(None),
            )
            .values(label=label, labelled_at=now_ms, score_sum=total, score_sq_sum=total_sq)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"Request {request_id!r} already has a label.")


def record_feedback(
    database: Database,
    endpoint_id: int,
    request_id: str,
    label: Any,
    task: Task | None,
    *,
    now_ms: int | None = None,
) -> str:
    """Score `label` against the request's stored predictions: "scored", or "pending" when
    they are not written yet (the next flush of the worker that answered scores it)."""
    counts = record_feedback_batch(
        database, endpoint_id, [(request_id, label)], task, now_ms=now_ms
    )
    return "scored" if counts["scored"] else "pending"


def record_feedback_batch(
    database: Database,
    endpoint_id: int,
    items: Sequence[tuple[str, Any]],
    task: Task | None,
    *,
    now_ms: int | None = None,
) -> dict[str, int]:
    """Several (request id, label) pairs in one transaction, all or none: the first that is
    refused (InvalidInput, Conflict) refuses the batch. Returns {"scored": n, "pending": m}."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    if task is None:
        raise InvalidInput(
            "The endpoint's task is unknown, so a label cannot be scored: set its task "
            "(classification or regression), or serve models whose signature names their output."
        )
    for request_id, label in items:
        if not isinstance(request_id, str) or not 0 < len(request_id) <= REQUEST_ID_LENGTH:
            raise InvalidInput(f"A request id has 1 to {REQUEST_ID_LENGTH} characters.")
        check_label(label, task)
    counts = {"scored": 0, "pending": 0}
    with database.session(write=True) as session:
        for request_id, label in items:
            counts[_record_one(session, endpoint_id, request_id, label, task, now)] += 1
    return counts


def _record_one(
    session: Session, endpoint_id: int, request_id: str, label: Any, task: Task, now: int
) -> str:
    rows = session.execute(
        select(
            _Prediction.variant,
            _Prediction.prediction,
            _Prediction.rows,
            _Prediction.labelled_at,
        ).where(_Prediction.endpoint_id == endpoint_id, _Prediction.request_id == request_id)
    ).all()
    if any(row.labelled_at is not None for row in rows):
        raise Conflict(f"Request {request_id!r} already has a label.")
    waiting = session.scalar(
        select(_Feedback.request_id).where(
            _Feedback.endpoint_id == endpoint_id, _Feedback.request_id == request_id
        )
    )
    if waiting is not None:
        raise Conflict(f"Request {request_id!r} already has a label.")
    if not rows:
        session.add(
            _Feedback(endpoint_id=endpoint_id, request_id=request_id, label=label, received_at=now)
        )
        return "pending"
    _label_rows(
        session,
        endpoint_id,
        request_id,
        [(row.variant, row.prediction, row.rows) for row in rows],
        label,
        task,
        now,
    )
    return "scored"


def match_waiting_labels(
    session: Session, endpoint_id: int, task: Task, *, written_since_ms: int, now_ms: int
) -> int:
    """Score waiting labels whose predictions are now stored, and copy labels onto a
    request's rows written after its label (a shadow's). Returns the labels matched; a label
    that cannot score against its prediction (wrong row count) is dropped with it."""
    matched = 0
    waiting = session.execute(
        select(_Feedback.request_id, _Feedback.label).where(
            _Feedback.endpoint_id == endpoint_id,
            exists().where(
                _Prediction.endpoint_id == _Feedback.endpoint_id,
                _Prediction.request_id == _Feedback.request_id,
            ),
        )
    ).all()
    for request_id, label in waiting:
        rows = session.execute(
            select(_Prediction.variant, _Prediction.prediction, _Prediction.rows).where(
                _Prediction.endpoint_id == endpoint_id,
                _Prediction.request_id == request_id,
                _Prediction.labelled_at.is_(None),
            )
        ).all()
        try:
            _label_rows(
                session, endpoint_id, request_id, [tuple(r) for r in rows], label, task, now_ms
            )
            matched += 1
        except (InvalidInput, Conflict):
            pass
        session.execute(
            delete(_Feedback).where(
                _Feedback.endpoint_id == endpoint_id, _Feedback.request_id == request_id
            )
        )
    sibling = aliased(_Prediction)
    late = session.execute(
        select(
            _Prediction.request_id,
            _Prediction.variant,
            _Prediction.prediction,
            _Prediction.rows,
            sibling.label,
        )
        .join(
            sibling,
            and_(
                sibling.endpoint_id == _Prediction.endpoint_id,
                sibling.request_id == _Prediction.request_id,
                sibling.labelled_at.is_not(None),
            ),
        )
        .where(
            _Prediction.endpoint_id == endpoint_id,
            _Prediction.created_at >= written_since_ms - SIBLING_LOOKBACK_MS,
            _Prediction.labelled_at.is_(None),
        )
    ).all()
    for request_id, variant, prediction, count, label in late:
        try:
            _label_rows(
                session,
                endpoint_id,
                request_id,
                [(variant, prediction, count)],
                label,
                task,
                now_ms,
            )
        except (InvalidInput, Conflict):
            continue
    return matched


def prune(database: Database, endpoint_id: int, older_than_ms: int) -> tuple[int, int]:
    """Delete predictions still unlabelled, and labels still waiting, from before
    `older_than_ms`; returns how many of each."""
    with database.session(write=True) as session:
        predictions = session.execute(
            delete(_Prediction).where(
                _Prediction.endpoint_id == endpoint_id,
                _Prediction.created_at < older_than_ms,
                _Prediction.labelled_at.is_(None),
            )
        )
        labels = session.execute(
            delete(_Feedback).where(
                _Feedback.endpoint_id == endpoint_id, _Feedback.received_at < older_than_ms
            )
        )
        return int(predictions.rowcount), int(labels.rowcount)  # type: ignore[attr-defined]
