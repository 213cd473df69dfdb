"""The pyramid's rows: blocks of 256 buckets of one level of one series (`series_blocks`).

Sealing a chunk merges its points' buckets into the blocks they touch, level by level (read,
merge, delete, insert: a block is rewritten whole, which on both databases is cheaper than
updating one bucket in a blob). Late points (steps below sealed chunks) merge the same way,
because bucket summaries merge exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import delete, insert, select

from studio.tracking.series.orm import SqlSeriesBlock
from studio.tracking.series.pyramid import (
    BLOCK_BITS,
    Buckets,
    block_of,
    bucket_keys,
    levels,
    merge,
    summarize,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_BLOCKS = SqlSeriesBlock.__table__


def add_points(
    session: Session,
    series_id: int,
    base: int,
    steps: np.ndarray,
    timestamps: np.ndarray,
    values: np.ndarray,
) -> None:
    """Merge points (sorted by step and timestamp) into every level of the series' pyramid."""
    for level in levels(base):
        new = summarize(steps, timestamps, values, bucket_keys(steps, level))
        _merge_into(session, series_id, level, new)


def load(session: Session, series_id: int, level: int, first: int, last: int) -> Buckets:
    """The stored buckets of `level` with index in [first, last], in index order."""
    rows = session.execute(
        select(_BLOCKS.c.payload)
        .where(
            _BLOCKS.c.series_id == series_id,
            _BLOCKS.c.level == level,
            _BLOCKS.c.block.between(first >> BLOCK_BITS, last >> BLOCK_BITS),
        )
        .order_by(_BLOCKS.c.block)
    ).all()
    found = Buckets.concat([Buckets.decode(row.payload) for row in rows])
    inside = (found.index >= first) & (found.index <= last)
    return found if inside.all() else found.take(np.flatnonzero(inside))


def _merge_into(session: Session, series_id: int, level: int, new: Buckets) -> None:
    touched = np.unique(block_of(new.index)).tolist()
    where = (
        _BLOCKS.c.series_id == series_id,
        _BLOCKS.c.level == level,
        _BLOCKS.c.block.in_(touched),
    )
    payloads = session.execute(select(SqlSeriesBlock.payload).where(*where)).scalars()
    stored = [Buckets.decode(payload) for payload in payloads]
    combined = Buckets.concat([*stored, new])
    merged = merge(combined, combined.index)
    blocks = block_of(merged.index)
    cuts = np.flatnonzero(np.diff(blocks)) + 1
    rows = [
        {
            "series_id": series_id,
            "level": level,
            "block": int(blocks[part[0]]),
            "payload": merged.take(part).encode(),
        }
        for part in np.split(np.arange(len(merged)), cuts)
    ]
    if stored:
        session.execute(delete(SqlSeriesBlock).where(*where))
    session.execute(insert(SqlSeriesBlock), rows)
