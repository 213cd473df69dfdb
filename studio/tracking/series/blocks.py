"""The pyramid's rows: blocks of 256 buckets of one level of one series (`series_blocks`).

Sealing chunks merges their points' buckets into the blocks they touch on every level: one
SELECT of those blocks (all levels at once), a merge in numpy, one DELETE and one INSERT. A
block is rewritten whole, which on both databases is cheaper than updating one bucket in a
blob. Late points (steps below sealed chunks) merge the same way, because bucket summaries
merge exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

import numpy as np
from sqlalchemy import and_, delete, or_, select

from studio.tracking.series import bulk
from studio.tracking.series.orm import SqlSeriesBlock
from studio.tracking.series.pyramid import (
    BLOCK_BITS,
    FACTOR,
    Buckets,
    block_of,
    bucket_keys,
    levels,
    merge,
    summarize,
)

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.orm import Session

# Core statements on the table: the ORM's bookkeeping would cost more than the SQL here.
_BLOCKS = cast("Table", SqlSeriesBlock.__table__)


def add_points(
    session: Session,
    series_id: int,
    base: int,
    steps: np.ndarray,
    timestamps: np.ndarray,
    values: np.ndarray,
) -> None:
    """Merge points (sorted by step and timestamp) into every level of the series' pyramid."""
    # The base level from the points, each coarser one from the level below (summaries
    # merge exactly): one pass over the points, not one per level.
    new: dict[int, Buckets] = {}
    below = summarize(steps, timestamps, values, bucket_keys(steps, base))
    for level in levels(base):
        if level != base:
            below = merge(below, np.floor_divide(below.index, FACTOR))
        new[level] = below
    touched = or_(
        *(
            and_(_BLOCKS.c.level == level, _BLOCKS.c.block.in_(_distinct(block_of(b.index))))
            for level, b in new.items()
        )
    )
    where = (_BLOCKS.c.series_id == series_id, touched)
    connection = session.connection()
    stored: dict[int, list[Buckets]] = {level: [] for level in new}
    for level, payload in connection.execute(
        select(_BLOCKS.c.level, _BLOCKS.c.payload).where(*where)
    ):
        stored[level].append(Buckets.decode(payload))
    rows: list[dict[str, Any]] = []
    for level, buckets in new.items():
        combined = Buckets.concat([*stored[level], buckets])
        rows += _rows(series_id, level, merge(combined, combined.index))
    if any(stored.values()):
        connection.execute(delete(_BLOCKS).where(*where))
    bulk.insert_rows(connection, _BLOCKS, rows)


def load(session: Session, series_id: int, level: int, first: int, last: int) -> Buckets:
    """The stored buckets of `level` with index in [first, last], in index order."""
    payloads = session.connection().execute(
        select(_BLOCKS.c.payload)
        .where(
            _BLOCKS.c.series_id == series_id,
            _BLOCKS.c.level == level,
            _BLOCKS.c.block.between(first >> BLOCK_BITS, last >> BLOCK_BITS),
        )
        .order_by(_BLOCKS.c.block)
    )
    found = Buckets.concat([Buckets.decode(payload) for (payload,) in payloads])
    inside = (found.index >= first) & (found.index <= last)
    return found if inside.all() else found.take(np.flatnonzero(inside))


def _distinct(ascending: np.ndarray) -> list[int]:
    """The distinct values of an ascending array (bucket indexes are kept sorted). Not
    np.unique: its first call imports numpy.ma, tens of milliseconds in a process's first seal."""
    first = np.ones(len(ascending), bool)
    first[1:] = ascending[1:] != ascending[:-1]
    distinct: list[int] = ascending[first].tolist()
    return distinct


def _rows(series_id: int, level: int, merged: Buckets) -> list[dict[str, Any]]:
    """One row per block of `merged` (sorted by bucket index)."""
    blocks = block_of(merged.index)
    cuts = np.flatnonzero(np.diff(blocks)) + 1
    return [
        {
            "series_id": series_id,
            "level": level,
            "block": int(blocks[part[0]]),
            "payload": merged.take(part).encode(),
        }
        for part in np.split(np.arange(len(merged)), cuts)
    ]
