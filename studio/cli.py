"""The `studio` command: where the store lives, its schema migrations, the API document, and
the subcommands that feature packages declare (see `studio.features`).

Each subcommand imports what it needs when it runs: `studio db ...` loads SQLAlchemy and
alembic, never tornado or the server.
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from studio import features
from studio._version import __version__
from studio.config import StudioConfig
from studio.db.engine import SCHEMA_REVISION, Database
from studio.errors import StudioError


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = _parser()
    # A package's command parses its own arguments: everything after its name.
    args, _ = parser.parse_known_args(argv)
    feature_command = getattr(args, "feature_command", None)
    if feature_command is not None:
        run: Callable[[list[str]], int] = features.resolve(feature_command.main)
        return run(argv[argv.index(args.command) + 1 :])
    args = parser.parse_args(argv)
    if args.command == "openapi":
        return _openapi(args.output)
    try:
        return _store_command(args)
    except StudioError as exc:
        print(f"studio: {exc.message}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio", description=__doc__.split("\n\n")[0])
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
    for feature in features.features():
        for name, command in feature.commands.items():
            sub = commands.add_parser(name, help=command.help, add_help=False)
            sub.set_defaults(feature_command=command)
    return parser


def _openapi(output: str | None) -> int:
    # The document is built from the handlers, which need the server's modules.
    app = importlib.import_module("studio.app")
    openapi = importlib.import_module("studio.openapi")
    document = json.dumps(openapi.build_document(app.all_routes()), indent=2, sort_keys=True)
    if output:
        Path(output).write_text(document + "\n")
    else:
        sys.stdout.write(document + "\n")
    return 0


def _store_command(args: argparse.Namespace) -> int:
    config = StudioConfig.resolve(db_url=args.db_url)
    database = Database.from_config(config)
    try:
        if args.command == "info":
            print(f"studio {__version__}")
            print(f"home:          {config.home}")
            print(f"database:      {database.display_url}")
            print(f"artifact root: {config.artifact_root}")
            return 0
        if args.db_command == "current":
            current = database.current_revision()
            print(f"{database.display_url}: revision {current or 'none (empty database)'}")
            print(f"this version of Studio needs revision {SCHEMA_REVISION}")
            return 0 if current in {None, SCHEMA_REVISION} else 1
        before = database.current_revision()
        migrate = importlib.import_module("studio.db.migrate")
        for revision, doc in migrate.pending_revisions(before, args.revision):
            print(f"will apply {revision}: {doc}", flush=True)
        # A long migration (0006 moves every metric point) says how far it has come.
        progress = logging.getLogger("studio.db.migrations")
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
        progress.addHandler(handler)
        progress.setLevel(logging.INFO)
        try:
            database.upgrade(args.revision)
        finally:
            progress.removeHandler(handler)
        after = database.current_revision()
        print(f"{database.display_url}: revision {before or 'none'} -> {after}")
        return 0
    finally:
        database.dispose()
