"""batch_receipts: the ids of logging batches already applied

A client that retries a batch (a timeout, a 5xx after the commit) re-sends its id; the
server applies each id at most once.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 22:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batch_receipts",
        sa.Column("batch_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_batch_receipts_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("batch_id", name=op.f("pk_batch_receipts")),
    )
    with op.batch_alter_table("batch_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_receipts_run_id"), ["run_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_batch_receipts_received_at"), ["received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("batch_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_receipts_received_at"))
        batch_op.drop_index(batch_op.f("ix_batch_receipts_run_id"))
    op.drop_table("batch_receipts")
