"""series, series_chunks, series_tail, series_blocks: the series store's tables

Empty at this revision: metrics still live in `metrics`, and moving them into series is a
later revision's work.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("owner_kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("tail_count", sa.Integer(), nullable=False),
        sa.Column("chunk_seq", sa.BigInteger(), nullable=False),
        sa.Column("tail_seq", sa.BigInteger(), nullable=False),
        sa.Column("min_step", sa.BigInteger(), nullable=True),
        sa.Column("max_step", sa.BigInteger(), nullable=True),
        sa.Column("max_chunk_span", sa.BigInteger(), nullable=False),
        sa.Column("base_level", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_series")),
        sa.UniqueConstraint(
            "owner_kind", "owner_id", "kind", "key", name=op.f("uq_series_owner_kind")
        ),
    )
    op.create_table(
        "series_chunks",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("first_step", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("min_value", sa.Float(), nullable=True),
        sa.Column("max_value", sa.Float(), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "first_step", "seq", name=op.f("pk_series_chunks")),
    )
    op.create_table(
        "series_tail",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "seq", name=op.f("pk_series_tail")),
    )
    op.create_table(
        "series_blocks",
        sa.Column("series_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("series_id", "level", "block", name=op.f("pk_series_blocks")),
    )


def downgrade() -> None:
    op.drop_table("series_blocks")
    op.drop_table("series_tail")
    op.drop_table("series_chunks")
    op.drop_table("series")
