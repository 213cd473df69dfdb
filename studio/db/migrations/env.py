"""Alembic environment: migrations always run on the connection Studio hands over."""

from __future__ import annotations

from alembic import context

from studio.db.base import Base
from studio.tracking import orm as _tracking_orm  # noqa: F401  (registers the tables)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `studio db upgrade`, which provides a connection.")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
