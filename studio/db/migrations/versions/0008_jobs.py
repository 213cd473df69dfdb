"""job_notebooks, job_definitions, job_runs, job_schedulers: notebook jobs

Notebook snapshots (shared by content), job definitions, job runs (each with the tracking run
it is, and a unique occurrence key that is the schedulers' lease) and the schedulers'
heartbeats. Only new tables: nothing stored is touched.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 09:50:32.065305
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_notebooks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_notebooks")),
        sa.UniqueConstraint("sha256", name=op.f("uq_job_notebooks_sha256")),
    )
    op.create_table(
        "job_schedulers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("executor", sa.String(length=250), nullable=False),
        sa.Column("started_at", sa.BigInteger(), nullable=False),
        sa.Column("heartbeat_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_schedulers")),
    )
    op.create_table(
        "job_definitions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("schedule", sa.String(length=120), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("max_concurrent_runs", sa.Integer(), nullable=False),
        sa.Column("missed", sa.String(length=16), nullable=False),
        sa.Column("keep_outputs", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", sa.BigInteger(), nullable=True),
        sa.Column("snapshot_at", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.Column("notebook_path", sa.String(length=4096), nullable=False),
        sa.Column(
            "notebook_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("kernel_name", sa.String(length=128), nullable=True),
        sa.Column("timeout", sa.Float(), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("retry_backoff", sa.Float(), nullable=False),
        sa.Column("environment", sa.JSON(), nullable=False),
        sa.Column("secret_environment", sa.JSON(), nullable=False),
        sa.Column("html", sa.Boolean(), nullable=False),
        sa.Column("experiment", sa.String(length=250), nullable=True),
        sa.CheckConstraint(
            "missed IN ('run_once', 'skip')", name=op.f("ck_job_definitions_missed")
        ),
        sa.CheckConstraint(
            "max_concurrent_runs >= 1", name=op.f("ck_job_definitions_max_concurrent_runs")
        ),
        sa.ForeignKeyConstraint(
            ["notebook_id"],
            ["job_notebooks.id"],
            name=op.f("fk_job_definitions_notebook_id_job_notebooks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_definitions")),
        sa.UniqueConstraint("name", name=op.f("uq_job_definitions_name")),
    )
    with op.batch_alter_table("job_definitions", schema=None) as batch_op:
        batch_op.create_index("ix_job_definitions_due", ["active", "next_run_at"], unique=False)

    op.create_table(
        "job_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "definition_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=True),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("retry_of", sa.BigInteger(), nullable=True),
        sa.Column("scheduled_for", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("not_before", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.BigInteger(), nullable=True),
        sa.Column("ended_at", sa.BigInteger(), nullable=True),
        sa.Column("cells_done", sa.Integer(), nullable=False),
        sa.Column("cells_total", sa.Integer(), nullable=False),
        sa.Column("current_cell", sa.Integer(), nullable=True),
        sa.Column("cell_started_at", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("error_name", sa.String(length=250), nullable=True),
        sa.Column("error_cell", sa.Integer(), nullable=True),
        sa.Column("traceback", sa.Text(), nullable=True),
        sa.Column("output_dir", sa.String(length=4096), nullable=True),
        sa.Column("outputs_deleted", sa.Boolean(), nullable=False),
        sa.Column("cancel_requested", sa.Boolean(), nullable=False),
        sa.Column("scheduler_id", sa.String(length=64), nullable=True),
        sa.Column("host", sa.String(length=255), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=True),
        sa.Column("pid_started_at", sa.Float(), nullable=True),
        sa.Column("heartbeat_at", sa.BigInteger(), nullable=True),
        sa.Column("notebook_path", sa.String(length=4096), nullable=False),
        sa.Column(
            "notebook_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("kernel_name", sa.String(length=128), nullable=True),
        sa.Column("timeout", sa.Float(), nullable=True),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("retry_backoff", sa.Float(), nullable=False),
        sa.Column("environment", sa.JSON(), nullable=False),
        sa.Column("secret_environment", sa.JSON(), nullable=False),
        sa.Column("html", sa.Boolean(), nullable=False),
        sa.Column("experiment", sa.String(length=250), nullable=True),
        sa.CheckConstraint(
            "status IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', "
            "'STOPPED_BY_RULE')",
            name=op.f("ck_job_runs_status"),
        ),
        sa.CheckConstraint(
            "trigger IN ('manual', 'schedule', 'retry', 'api')", name=op.f("ck_job_runs_trigger")
        ),
        sa.ForeignKeyConstraint(
            ["definition_id"],
            ["job_definitions.id"],
            name=op.f("fk_job_runs_definition_id_job_definitions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["notebook_id"],
            ["job_notebooks.id"],
            name=op.f("fk_job_runs_notebook_id_job_notebooks"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_job_runs_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("definition_id", "scheduled_for", name="occurrence"),
    )
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index("ix_job_runs_definition", ["definition_id", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_job_runs_run_id"), ["run_id"], unique=False)
        batch_op.create_index("ix_job_runs_status", ["status", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_job_runs_status")
        batch_op.drop_index(batch_op.f("ix_job_runs_run_id"))
        batch_op.drop_index("ix_job_runs_definition")

    op.drop_table("job_runs")
    with op.batch_alter_table("job_definitions", schema=None) as batch_op:
        batch_op.drop_index("ix_job_definitions_due")

    op.drop_table("job_definitions")
    op.drop_table("job_schedulers")
    op.drop_table("job_notebooks")
