"""The `studio` command: where the store lives, and its schema migrations."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from studio._version import __version__
from studio.app import ROUTES
from studio.config import StudioConfig
from studio.db.engine import SCHEMA_REVISION, Database
from studio.errors import StudioError
from studio.openapi import build_document


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="studio", description=__doc__)
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    parser.add_argument("--db-url", help="database URL (default: STUDIO_DB_URL or STUDIO_HOME)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("info", help="show where Studio keeps its data")
    openapi = commands.add_parser("openapi", help="print the REST API's OpenAPI document")
    openapi.add_argument("--output", help="write it to this file instead")
    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("current", help="show the schema revision of the database")
    upgrade = db_commands.add_parser("upgrade", help="migrate the database to this version")
    upgrade.add_argument("revision", nargs="?", default="head")
    args = parser.parse_args(argv)

    if args.command == "openapi":
        document = json.dumps(build_document(ROUTES), indent=2, sort_keys=True) + "\n"
        if args.output:
            Path(args.output).write_text(document)
        else:
            sys.stdout.write(document)
        return 0
    config = StudioConfig.resolve(db_url=args.db_url)
    try:
        if args.command == "info":
            print(f"studio {__version__}")
            print(f"home:          {config.home}")
            print(f"database:      {Database(config.db_url).display_url}")
            print(f"artifact root: {config.artifact_root}")
            return 0
        database = Database(config.db_url)
        if args.db_command == "current":
            current = database.current_revision()
            print(f"{database.display_url}: revision {current or 'none (empty database)'}")
            print(f"this version of Studio needs revision {SCHEMA_REVISION}")
            return 0 if current in {None, SCHEMA_REVISION} else 1
        before = database.current_revision()
        database.upgrade(args.revision)
        after = database.current_revision()
        print(f"{database.display_url}: revision {before or 'none'} -> {after}")
        return 0
    except StudioError as exc:
        print(f"studio: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
