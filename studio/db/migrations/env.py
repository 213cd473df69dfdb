"""Alembic environment: migrations always run on the connection Studio hands over.

The target metadata is every feature package's (studio.features), so one linear history holds
the tables of all of them.
"""

from __future__ import annotations

from alembic import context

from studio import features

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `studio db upgrade`, which provides a connection.")

context.configure(
    connection=connection,
    target_metadata=features.metadata(),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
