"""The SQL store's plumbing: engine, managed sessions, declarative base and migrations."""

from studio.db.base import Base
from studio.db.engine import Database

__all__ = ["Base", "Database"]
