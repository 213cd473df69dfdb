"""Endpoint rows for the recorder's and readers' tests, written with the ORM directly (the
observation tables only need an endpoint to point at)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from studio.serving.orm import SqlEndpoint

if TYPE_CHECKING:
    from studio.db.engine import Database


def insert_endpoint(database: Database, name: str = "iris") -> int:
    now = int(time.time() * 1000)
    with database.session(write=True) as session:
        row = SqlEndpoint(
            name=name,
            description="",
            config_version=1,
            capture=1.0,
            task=None,
            token_hash=None,
            proxy_key="k" * 32,
            host="127.0.0.1",
            port=None,
            workers=1,
            evaluation_since=0,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return int(row.id)
