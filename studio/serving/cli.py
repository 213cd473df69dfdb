"""`studio endpoints ...`: endpoints from the command line (`studio serve` is in `serve_cli`).

`studio endpoints` speaks the Python API (`studio.serving.api`), so it works on the local store
or, with `--tracking-uri http(s)://...` (or `STUDIO_TRACKING_URI`), on a Studio server. A token
is read from an environment variable (`--token-env`), never from the command line, where other
users of the machine could read it. Exit status: 0; 2 for a refused command (its message on
stderr).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput, StudioError

if TYPE_CHECKING:
    from studio.serving.entities import Endpoint

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """`studio endpoints COMMAND ...`; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return 2
    try:
        args.handler(args)
    except StudioError as exc:
        print(f"studio endpoints: {exc.message}", file=sys.stderr)
        return 2
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio endpoints",
        description="Endpoints: approved model versions served with A/B and shadow variants.",
    )
    parser.add_argument(
        "--tracking-uri",
        help="a Studio server (http(s)://...), a database URL or a folder "
        "(default: STUDIO_TRACKING_URI, else the local store)",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    create = commands.add_parser("create", help="create an endpoint")
    create.add_argument("name")
    create.add_argument(
        "--variant",
        nargs="+",
        action="append",
        required=True,
        metavar="NAME URI [WEIGHT]",
        help="a primary variant: its name, model URI and relative weight (default 1)",
    )
    create.add_argument(
        "--shadow",
        nargs="+",
        action="append",
        default=[],
        metavar="NAME URI [SAMPLING]",
        help="a shadow variant: its name, model URI and share of requests copied (default 1)",
    )
    create.add_argument("--capture", type=float, default=0.0, help="share of requests captured")
    create.add_argument("--task", choices=("classification", "regression"))
    create.add_argument("--description", default="")
    create.add_argument(
        "--token-env", metavar="VAR", help="the environment variable holding the token"
    )
    create.set_defaults(handler=_create)

    listing = commands.add_parser("list", help="endpoints, their variants and state")
    listing.set_defaults(handler=_list)

    show = commands.add_parser("show", help="an endpoint as JSON")
    show.add_argument("name")
    show.set_defaults(handler=_show)

    weights = commands.add_parser("weights", help="change the weights of primaries, live")
    weights.add_argument("name")
    weights.add_argument("weights", nargs="+", metavar="VARIANT=WEIGHT")
    weights.set_defaults(handler=_weights)

    start = commands.add_parser("start", help="start `studio serve` for it in the background")
    start.add_argument("name")
    start.add_argument("--port", type=int)
    start.add_argument("--workers", type=int)
    start.set_defaults(handler=_start)

    stop = commands.add_parser("stop", help="stop the servers Studio started for it")
    stop.add_argument("name")
    stop.set_defaults(handler=_stop)

    delete = commands.add_parser("delete", help="delete a stopped endpoint")
    delete.add_argument("name")
    delete.set_defaults(handler=_delete)
    return parser


def _create(args: argparse.Namespace) -> None:
    from studio.serving.api import create_endpoint

    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise InvalidInput(f"The environment variable {args.token_env} holds no token.")
    created = create_endpoint(
        args.name,
        {name: (uri, share) for name, uri, share in (_spec(v, "--variant") for v in args.variant)},
        {name: (uri, share) for name, uri, share in (_spec(s, "--shadow") for s in args.shadow)},
        args.capture,
        token,
        task=args.task,
        description=args.description,
        tracking_uri=args.tracking_uri,
    )
    print(_summary(created))


def _list(args: argparse.Namespace) -> None:
    from studio.serving.api import list_endpoints

    for endpoint in list_endpoints(tracking_uri=args.tracking_uri):
        print(_summary(endpoint))


def _show(args: argparse.Namespace) -> None:
    from studio.serving.api import get_endpoint

    found = get_endpoint(args.name, tracking_uri=args.tracking_uri)
    shown = dataclasses.asdict(found) | {"running": found.running}
    print(json.dumps(shown, indent=2, default=_plain))


def _weights(args: argparse.Namespace) -> None:
    from studio.serving.api import update_endpoint

    weights = {}
    for text in args.weights:
        name, sep, value = text.partition("=")
        try:
            weights[name] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise InvalidInput(f"{text!r} is not VARIANT=WEIGHT.")
    print(_summary(update_endpoint(args.name, weights=weights, tracking_uri=args.tracking_uri)))


def _start(args: argparse.Namespace) -> None:
    from studio.serving.api import start_endpoint

    started = start_endpoint(
        args.name, port=args.port, workers=args.workers, tracking_uri=args.tracking_uri
    )
    print(_summary(started))
    for replica in started.replicas:
        if replica.alive:
            print(f"  serving on {replica.bind_host}:{replica.port} (pid {replica.pid})")


def _stop(args: argparse.Namespace) -> None:
    from studio.serving.api import stop_endpoint

    print(_summary(stop_endpoint(args.name, tracking_uri=args.tracking_uri)))


def _delete(args: argparse.Namespace) -> None:
    from studio.serving.api import delete_endpoint

    delete_endpoint(args.name, tracking_uri=args.tracking_uri)
    print(f"deleted {args.name}")


def _spec(values: list[str], option: str) -> tuple[str, str, float]:
    if len(values) not in (2, 3):
        raise InvalidInput(f"{option} takes NAME URI [NUMBER], not {' '.join(values)!r}.")
    try:
        share = float(values[2]) if len(values) == 3 else 1.0
    except ValueError:
        raise InvalidInput(f"{option} {values[0]}: {values[2]!r} is not a number.") from None
    return values[0], values[1], share


def _summary(endpoint: Endpoint) -> str:
    state = "running" if endpoint.running else "stopped"
    parts = [
        f"{v.name}={v.model_uri}" + (f" x{v.weight:g}" if v.role.value == "primary" else " shadow")
        for v in endpoint.variants
    ]
    return f"{endpoint.name} v{endpoint.config_version} {state}: {', '.join(parts)}"


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not JSON")
