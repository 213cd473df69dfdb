"""runs sort indexes: a metric's order and a tree level's count from covering indexes

A runs table of 100,000 runs ordered by a metric reads its page along metric_summaries
(key, last_value, run_id) without touching the table; its count and its unsorted pages read
runs (experiment_id, parent_run_id, start_time, id) alone. The (key, last_value) index is
replaced by the covering one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 01:50:00
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_runs_level", "runs", ["experiment_id", "parent_run_id", "start_time", "id"])
    op.create_index("ix_metric_summaries_sort", "metric_summaries", ["key", "last_value", "run_id"])
    op.drop_index("ix_metric_summaries_key_last", table_name="metric_summaries")


def downgrade() -> None:
    op.create_index("ix_metric_summaries_key_last", "metric_summaries", ["key", "last_value"])
    op.drop_index("ix_metric_summaries_sort", table_name="metric_summaries")
    op.drop_index("ix_runs_level", table_name="runs")
