"""debugger_findings, debugger_rule_states: the debugger's findings and its rules' states

The debugger's tensor statistics need no table of their own: they are series of kind
"tensor" of their run (revision 0005's series store).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "debugger_findings",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=250), nullable=False),
        sa.Column("step", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("tensors", sa.JSON(), nullable=False),
        sa.Column("values", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_debugger_findings_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_debugger_findings")),
    )
    with op.batch_alter_table("debugger_findings", schema=None) as batch_op:
        batch_op.create_index("ix_debugger_findings_run", ["run_id", "id"], unique=False)
    op.create_table(
        "debugger_rule_states",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("rule", sa.String(length=250), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("findings", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "status IN ('not_evaluated', 'ok', 'firing')",
            name=op.f("ck_debugger_rule_states_status"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["runs.id"],
            name=op.f("fk_debugger_rule_states_run_id_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("run_id", "rule", name=op.f("pk_debugger_rule_states")),
    )


def downgrade() -> None:
    op.drop_table("debugger_rule_states")
    with op.batch_alter_table("debugger_findings", schema=None) as batch_op:
        batch_op.drop_index("ix_debugger_findings_run")
    op.drop_table("debugger_findings")
