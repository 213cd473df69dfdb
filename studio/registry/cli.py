"""`studio models ...`: the model registry from the command line.

It speaks the registry's clients (`studio.registry.clients`), so it works on the local store
or, with `--tracking-uri http(s)://...` (or `STUDIO_TRACKING_URI`), on a Studio server. Exit
status: 0; 2 for a refused command (its message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from studio.errors import StudioError

if TYPE_CHECKING:
    from studio.registry.clients import LocalRegistry, RestRegistry
    from studio.registry.entities import ModelVersion, RegisteredModel

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """`studio models COMMAND ...`; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return 2
    try:
        status: int = args.handler(args)
    except StudioError as exc:
        print(f"studio models: {exc.message}", file=sys.stderr)
        return 2
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio models",
        description="The model registry: register, list, alias, approve.",
    )
    parser.add_argument(
        "--tracking-uri",
        help="a Studio server (http(s)://...), a database URL or a folder "
        "(default: STUDIO_TRACKING_URI, else the local store)",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    listing = commands.add_parser("list", help="registered models")
    listing.add_argument("--filter", help="part of a name, in any case")
    listing.add_argument("--json", action="store_true", help="as JSON lines")
    listing.set_defaults(handler=_list)

    versions = commands.add_parser("versions", help="a model's versions, newest first")
    versions.add_argument("name")
    versions.add_argument("--json", action="store_true", help="as JSON lines")
    versions.set_defaults(handler=_versions)

    show = commands.add_parser("show", help="a version, with its lineage")
    show.add_argument("uri", help="models:/NAME/VERSION, models:/NAME@ALIAS or .../latest")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)

    register = commands.add_parser("register", help="register a run's model")
    register.add_argument("source", help="a run id or runs:/RUN_ID/PATH")
    register.add_argument("name", help="the registered model (made if new)")
    register.add_argument("--description", default="")
    register.add_argument("--tag", action="append", type=_pair, default=[], metavar="KEY=VALUE")
    register.set_defaults(handler=_register)

    alias = commands.add_parser("alias", help="point an alias at a version, or delete it")
    alias.add_argument("name")
    alias.add_argument("alias")
    alias.add_argument("version", type=int, nargs="?", help="omit with --delete")
    alias.add_argument("--delete", action="store_true", help="delete the alias")
    alias.set_defaults(handler=_alias)

    approve = commands.add_parser("approve", help="approve a version for serving")
    approve.add_argument("name")
    approve.add_argument("version", type=int)
    approve.add_argument(
        "--type",
        action="append",
        default=[],
        dest="types",
        metavar="TYPE",
        help="a type outside Studio's trusted ones that you trust (repeatable)",
    )
    approve.add_argument("--comment", default="")
    approve.set_defaults(handler=_approve)

    reject = commands.add_parser("reject", help="reject a version")
    reject.add_argument("name")
    reject.add_argument("version", type=int)
    reject.add_argument("--comment", default="")
    reject.set_defaults(handler=_reject)

    gates = commands.add_parser("gates", help="set the conditions a version's run must meet")
    gates.add_argument("name")
    gates.add_argument("gate", nargs="*", help="e.g. 'accuracy >= 0.9'; none: no gates")
    gates.set_defaults(handler=_gates)

    delete = commands.add_parser("delete", help="delete a version, or a whole model")
    delete.add_argument("name")
    delete.add_argument("version", type=int, nargs="?", help="omit to delete the model")
    delete.set_defaults(handler=_delete)
    return parser


def _client(args: argparse.Namespace) -> LocalRegistry | RestRegistry:
    from studio.registry.clients import registry_client

    return registry_client(args.tracking_uri)


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not KEY=VALUE")
    return key.strip(), value


def _list(args: argparse.Namespace) -> int:
    for model in _client(args).list_models(args.filter):
        print(json.dumps(asdict(model)) if args.json else _model_line(model))
    return 0


def _versions(args: argparse.Namespace) -> int:
    for version in _client(args).list_versions(args.name):
        print(json.dumps(_plain(version)) if args.json else _version_line(version))
    return 0


def _show(args: argparse.Namespace) -> int:
    client = _client(args)
    version = client.resolve(args.uri)
    fields = {**_plain(version), "lineage": client.lineage(version.name, version.version)}
    if args.json:
        print(json.dumps(fields, indent=2))
        return 0
    for key, value in fields.items():
        if value not in (None, {}, "", [], ()):
            print(f"{key}: {json.dumps(value) if isinstance(value, dict | list) else value}")
    return 0


def _register(args: argparse.Namespace) -> int:
    made = _client(args).register(
        args.source, args.name, description=args.description, tags=dict(args.tag)
    )
    print(_version_line(made))
    return 0


def _alias(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.delete:
        client.delete_alias(args.name, args.alias)
        return 0
    if args.version is None:
        print("studio models: give the version the alias names (or --delete)", file=sys.stderr)
        return 2
    print(_version_line(client.set_alias(args.name, args.alias, args.version)))
    return 0


def _approve(args: argparse.Namespace) -> int:
    approved = _client(args).approve(
        args.name, args.version, approve_types=args.types, comment=args.comment
    )
    print(_version_line(approved))
    return 0


def _reject(args: argparse.Namespace) -> int:
    print(_version_line(_client(args).reject(args.name, args.version, comment=args.comment)))
    return 0


def _gates(args: argparse.Namespace) -> int:
    from studio.errors import NotFound
    from studio.registry.gates import parse_gate

    gates = {metric: str(condition) for metric, condition in map(parse_gate, args.gate)}
    client = _client(args)
    try:
        client.get_model(args.name)
    except NotFound:
        print(_model_line(client.create_model(args.name, gates=gates)))
        return 0
    print(_model_line(client.update_model(args.name, gates=gates)))
    return 0


def _delete(args: argparse.Namespace) -> int:
    client = _client(args)
    if args.version is None:
        client.delete_model(args.name)
    else:
        client.delete_version(args.name, args.version)
    return 0


def _plain(version: ModelVersion) -> dict[str, Any]:
    fields = asdict(version)
    fields["status"] = version.status.value
    fields["uri"] = version.uri
    for local in ("id", "storage_path", "lineage"):
        fields.pop(local)
    return fields


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def _model_line(model: RegisteredModel) -> str:
    aliases = " ".join(f"@{alias}={number}" for alias, number in model.aliases.items())
    gates = ", ".join(f"{metric} {condition}" for metric, condition in model.gates.items())
    parts = [
        model.name,
        f"{model.version_count} version(s)",
        f"latest {model.latest_version}" if model.latest_version else "",
        aliases,
        f"gates: {gates}" if gates else "",
    ]
    return "  ".join(part for part in parts if part)


def _version_line(version: ModelVersion) -> str:
    aliases = " ".join(f"@{alias}" for alias in version.aliases)
    reviewed = f" by {version.status_by}" if version.status_by else ""
    parts = [
        version.uri,
        f"{version.status.value}{reviewed}",
        version.model_class,
        aliases,
        _when(version.created_at),
    ]
    return "  ".join(part for part in parts if part)
