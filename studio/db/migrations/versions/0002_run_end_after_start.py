"""runs: a CHECK that end_time is not before start_time

Rows that break it are repaired first (their end_time becomes their start_time), so the
constraint is added without losing a run. On SQLite, adding a CHECK rebuilds `runs`: the
migration runner turns foreign keys off for it, so the rebuild deletes no child rows.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 22:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

CHECK_NAME = "ck_runs_end_after_start"
CHECK_CONDITION = "end_time IS NULL OR end_time >= start_time"


def upgrade() -> None:
    op.execute(
        sa.text(
            "UPDATE runs SET end_time = start_time "
            "WHERE end_time IS NOT NULL AND end_time < start_time"
        )
    )
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f(CHECK_NAME), sa.text(CHECK_CONDITION))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f(CHECK_NAME), type_="check")
