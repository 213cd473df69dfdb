"""SQLAlchemy tables of series (revision 0005). Only the series store uses these classes.

Storage per point is what these tables are shaped for: a point lives in one chunk's payload
(about 8 bytes for a noisy float64 curve), and rows and their indexes are per chunk of 4,096
points, per open append (the tail) or per block of 256 pyramid buckets, never per point.
The tables have no foreign key to their owner: an owner is a run today and an endpoint
later, and the owner's package deletes its series (`store.delete_owned`).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Float, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from studio.db.base import Base

KEY_LENGTH = 250
OWNER_KIND_LENGTH = 16
OWNER_ID_LENGTH = 64
KIND_LENGTH = 16


class SqlSeries(Base):
    """One series: its identity, interned to an integer id, and its running totals.

    The totals are updated by every append under the row's lock, so that appends to one
    series from several writers are serialized (and those to other series are not).
    """

    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id", "kind", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner_kind: Mapped[str] = mapped_column(String(OWNER_KIND_LENGTH))
    owner_id: Mapped[str] = mapped_column(String(OWNER_ID_LENGTH))
    # "metric" for a run's metrics; the debugger's tensor statistics get a kind of their own,
    # so that they never show up as metrics.
    kind: Mapped[str] = mapped_column(String(KIND_LENGTH))
    key: Mapped[str] = mapped_column(String(KEY_LENGTH))
    count: Mapped[int] = mapped_column(BigInteger, default=0)
    tail_count: Mapped[int] = mapped_column(Integer, default=0)
    # The next sequence numbers of a chunk and of a tail row.
    chunk_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    tail_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    min_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    max_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    # The widest step range of any chunk: a range read looks at chunks starting at most this
    # far below the range, not at every chunk of the series.
    max_chunk_span: Mapped[int] = mapped_column(BigInteger, default=0)
    # The finest pyramid level, chosen when the first chunk is sealed (pyramid.base_level).
    base_level: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SqlSeriesChunk(Base):
    """A sealed run of points, sorted by (step, timestamp, value), in one payload."""

    __tablename__ = "series_chunks"

    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    first_step: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    last_step: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    # NULL where every value is NaN (SQLite cannot hold NaN).
    min_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_value: Mapped[float | None] = mapped_column(Float, nullable=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class SqlSeriesTail(Base):
    """Points appended but not yet sealed into a chunk: one row per append."""

    __tablename__ = "series_tail"

    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    payload: Mapped[bytes] = mapped_column(LargeBinary)


class SqlSeriesBlock(Base):
    """256 consecutive buckets of one pyramid level (`pyramid.Buckets`, encoded)."""

    __tablename__ = "series_blocks"

    series_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    block: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
