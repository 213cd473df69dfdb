"""SQLAlchemy tables of the debugger: findings and rule states. Only its store uses them.

Tensor statistics are not here: each statistic of each tensor is a series of its run, in
tracking's series store (DESIGN.md, "Series"). The tables share tracking's declarative base,
so that one alembic history holds them (revision 0007).

`values` and `parameters` are JSON kept as text: PostgreSQL's JSON types refuse NaN and the
infinities, which are exactly what ExplodingTensor reports (the store writes and reads them
with Python's json, which keeps them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from studio.db.base import Base, BigId

# The runs table must be in the metadata for the foreign keys below.
from studio.tracking.orm import KEY_LENGTH, RUN_ID_LENGTH, SqlRun  # noqa: F401

MODE_LENGTH = 16
STATUS_LENGTH = 16


class SqlFinding(Base):
    """A rule's finding on a run, in the order recorded."""

    __tablename__ = "debugger_findings"
    __table_args__ = (Index("ix_debugger_findings_run", "run_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(String(KEY_LENGTH))
    step: Mapped[int] = mapped_column(BigInteger)
    mode: Mapped[str] = mapped_column(String(MODE_LENGTH))
    tensors: Mapped[list[Any]] = mapped_column(JSON)
    values: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)


class SqlRuleState(Base):
    """One rule's state on one run, by the rule's name."""

    __tablename__ = "debugger_rule_states"
    __table_args__ = (
        CheckConstraint("status IN ('not_evaluated', 'ok', 'firing')", name="status"),
    )

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True)
    rule: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    parameters: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(STATUS_LENGTH))
    last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    findings: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)
