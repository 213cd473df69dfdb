"""metrics moved into series: every point of every (run, key), then `metrics` dropped

Each (run, key) of `metrics` becomes the series (run, "metric", key), its points appended in
step order a batch at a time (read along the table's covering index), so that its chunks are
sealed in order and a long history never sits in memory whole. The downgrade writes every
point of the runs' metric series back into a new `metrics` table (NaN as NULL, as SQLite kept
it) and deletes those series. Both report their progress through logging.

The points are written and read by the series store itself (`studio.tracking.series.store`):
its payloads are part of the schema since revision 0005, and any later change to them comes
with a revision of its own.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 03:00:00
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from studio.tracking.series import store
from studio.tracking.series.store import Owner

if TYPE_CHECKING:
    from studio.tracking.series.source import Points

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

log = logging.getLogger("studio.db.migrations")

# Points read from `metrics` per query, and appended to a series per call (whole chunks).
BATCH_POINTS = 16 * store.CHUNK_POINTS
# Rows written back per statement by the downgrade.
DOWNGRADE_ROWS = 10_000
# At most one progress line per this many seconds (and one at the end).
PROGRESS_INTERVAL_S = 5.0
INT64_MAX = 2**63 - 1

_METRICS = sa.table(
    "metrics",
    sa.column("run_id", sa.String),
    sa.column("key", sa.String),
    sa.column("step", sa.BigInteger),
    sa.column("timestamp", sa.BigInteger),
    sa.column("value", sa.Float),
)
_SERIES = sa.table(
    "series",
    sa.column("id", sa.Integer),
    sa.column("owner_kind", sa.String),
    sa.column("owner_id", sa.String),
    sa.column("kind", sa.String),
    sa.column("key", sa.String),
    sa.column("count", sa.BigInteger),
)


class _Progress:
    """Logs how many of `total` points have moved, at most every PROGRESS_INTERVAL_S."""

    def __init__(self, what: str, total: int, series: int) -> None:
        self.what, self.total, self.done = what, total, 0
        self.started = self.logged = time.monotonic()
        log.info("%s: %d points in %d series", what, total, series)

    def add(self, points: int) -> None:
        self.done += points
        now = time.monotonic()
        if now - self.logged >= PROGRESS_INTERVAL_S:
            self.logged = now
            share = 100 * self.done / max(1, self.total)
            log.info("%s: %d of %d points (%.0f%%)", self.what, self.done, self.total, share)

    def finish(self) -> None:
        elapsed = time.monotonic() - self.started
        log.info("%s: %d points moved in %.1f s", self.what, self.done, elapsed)


def upgrade() -> None:
    connection = op.get_bind()
    groups = connection.execute(
        sa.select(_METRICS.c.run_id, _METRICS.c.key, sa.func.count())
        .group_by(_METRICS.c.run_id, _METRICS.c.key)
        .order_by(_METRICS.c.run_id, _METRICS.c.key)
    ).all()
    total = sum(int(count) for _, _, count in groups)
    progress = _Progress("metrics into series", total, len(groups))
    session = Session(bind=connection)
    try:
        for run_id, key, _ in groups:
            series_id = store.intern(session, Owner.run(run_id), key, store.METRIC)
            for steps, stamps, values in _batches(connection, run_id, key):
                store.append(session, series_id, steps, stamps, values)
                progress.add(len(steps))
        session.flush()
    finally:
        session.close()
    moved = connection.execute(
        sa.select(sa.func.coalesce(sa.func.sum(_SERIES.c.count), 0)).where(
            _SERIES.c.owner_kind == store.RUN, _SERIES.c.kind == store.METRIC
        )
    ).scalar_one()
    if int(moved) < total:  # never: the transaction is rolled back rather than lose a point
        raise RuntimeError(f"Only {moved} of {total} metric points reached their series.")
    progress.finish()
    with op.batch_alter_table("metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_metrics_history")
    op.drop_table("metrics")


def _batches(connection: sa.Connection, run_id: str, key: str) -> Iterator[Points]:
    """The points of (run_id, key) in step order, at most about BATCH_POINTS at a time.

    Keyset batches by step along the index (run_id, key, step, timestamp, value): a batch ends
    before its last step, which the next batch starts with, so that no step is split; a step
    with more points than a batch is read whole on its own.
    """
    columns = (_METRICS.c.step, _METRICS.c.timestamp, _METRICS.c.value)
    owned = (_METRICS.c.run_id == run_id, _METRICS.c.key == key)
    low: int | None = None
    while True:
        query = sa.select(*columns).where(*owned)
        if low is not None:
            query = query.where(_METRICS.c.step >= low)
        rows = connection.execute(
            query.order_by(_METRICS.c.step, _METRICS.c.timestamp).limit(BATCH_POINTS)
        ).all()
        if len(rows) < BATCH_POINTS:
            if rows:
                yield _arrays(rows)
            return
        last = rows[-1][0]
        kept = [row for row in rows if row[0] < last]
        if kept:
            yield _arrays(kept)
            low = last
            continue
        # One step with BATCH_POINTS points or more: read it alone, then go past it.
        yield _arrays(
            connection.execute(sa.select(*columns).where(*owned, columns[0] == last)).all()
        )
        if last == INT64_MAX:
            return
        low = last + 1


def _arrays(rows: Sequence[Any]) -> Points:
    steps = np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))
    stamps = np.fromiter((row[1] for row in rows), dtype=np.int64, count=len(rows))
    # NULL (SQLite's NaN) is NaN again.
    values = np.array([math.nan if row[2] is None else row[2] for row in rows], dtype=np.float64)
    return steps, stamps, values


def downgrade() -> None:
    op.create_table(
        "metrics",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_metrics_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_metrics")),
    )
    connection = op.get_bind()
    metric_series = connection.execute(
        sa.select(_SERIES.c.id, _SERIES.c.owner_id, _SERIES.c.key, _SERIES.c.count)
        .where(_SERIES.c.owner_kind == store.RUN, _SERIES.c.kind == store.METRIC)
        .order_by(_SERIES.c.id)
    ).all()
    progress = _Progress(
        "series into metrics", sum(int(row[3]) for row in metric_series), len(metric_series)
    )
    session = Session(bind=connection)
    try:
        for series_id, run_id, key, _ in metric_series:
            found = store.read(session, series_id)
            steps, stamps = found.steps.tolist(), found.timestamps.tolist()
            values = [None if math.isnan(v) else v for v in found.values.tolist()]
            for start in range(0, len(steps), DOWNGRADE_ROWS):
                end = start + DOWNGRADE_ROWS
                connection.execute(
                    sa.insert(_METRICS),
                    [
                        {"run_id": run_id, "key": key, "step": s, "timestamp": t, "value": v}
                        for s, t, v in zip(
                            steps[start:end], stamps[start:end], values[start:end], strict=True
                        )
                    ],
                )
                progress.add(len(steps[start:end]))
        metric = (_SERIES.c.owner_kind == store.RUN, _SERIES.c.kind == store.METRIC)
        ids = sa.select(_SERIES.c.id).where(*metric).scalar_subquery()
        for table in ("series_chunks", "series_tail", "series_blocks"):
            part = sa.table(table, sa.column("series_id", sa.Integer))
            connection.execute(sa.delete(part).where(part.c.series_id.in_(ids)))
        connection.execute(sa.delete(_SERIES).where(*metric))
    finally:
        session.close()
    progress.finish()
    with op.batch_alter_table("metrics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_metrics_history", ["run_id", "key", "step", "timestamp", "value"], unique=False
        )
