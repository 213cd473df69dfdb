"""`studio jobs ...`: notebook jobs from the command line (`studio scheduler` is in
`scheduler_cli`).

`studio jobs` speaks the Python API (`studio.jobs.api`), so it works on the local store or,
with `--tracking-uri http(s)://...` (or `STUDIO_TRACKING_URI`), on a Studio server. Exit
status: 0; 1 when a run waited for did not succeed; 2 for a refused command (its message on
stderr).
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from studio.errors import StudioError

if TYPE_CHECKING:
    from studio.jobs.api_types import JobDefinition, JobRun

__all__ = ["main", "parse_parameter"]

FOLLOW_INTERVAL = 0.5
"""Seconds between looks at a followed log."""
STATUSES = ("QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED_BY_RULE")


def main(argv: Sequence[str] | None = None) -> int:
    """`studio jobs COMMAND ...`; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    if not hasattr(args, "handler"):
        parser.print_help(sys.stderr)
        return 2
    try:
        status: int = args.handler(args)
    except StudioError as exc:
        print(f"studio jobs: {exc.message}", file=sys.stderr)
        return 2
    return status


def parse_parameter(text: str) -> tuple[str, Any]:
    """`name=value`: the value as JSON, else as a Python literal, else as the string."""
    name, sep, raw = text.partition("=")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not name=value")
    for parse in (json.loads, ast.literal_eval):
        try:
            return name.strip(), parse(raw)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
    return name.strip(), raw


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio jobs", description="Notebook jobs: run, schedule, list, cancel."
    )
    parser.add_argument(
        "--tracking-uri",
        help="a Studio server (http(s)://...), a database URL or a folder "
        "(default: STUDIO_TRACKING_URI, else the local store)",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    run = commands.add_parser("run", help="run a notebook now")
    run.add_argument("notebook", help="the notebook (through a server: relative to its root)")
    _spec_arguments(run)
    run.add_argument("--name", help="the job's name (default: the notebook's)")
    run.add_argument("--html", action="store_true", help="also keep the output as HTML")
    _wait_arguments(run)
    run.set_defaults(handler=_run)

    listing = commands.add_parser("list", help="job runs, newest first")
    listing.add_argument("--status", action="append", choices=STATUSES, default=[])
    listing.add_argument("--definition", help="a definition's id or name")
    listing.add_argument("--max-results", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="as JSON lines")
    listing.set_defaults(handler=_list)

    for name, handler, help_text in (
        ("show", _show, "a job run"),
        ("cancel", _cancel, "stop a job run"),
        ("log", _log, "print a job run's log"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("id", type=int, help="the job run's id")
        if name == "show":
            command.add_argument("--json", action="store_true")
        if name == "log":
            command.add_argument(
                "-f", "--follow", action="store_true", help="go on until the run ends"
            )
        command.set_defaults(handler=handler)

    definitions = commands.add_parser("definitions", help="job definitions").add_subparsers(
        title="commands", metavar="COMMAND"
    )
    listed = definitions.add_parser("list", help="every job definition")
    listed.add_argument("--json", action="store_true", help="as JSON lines")
    listed.set_defaults(handler=_definitions_list)
    create = definitions.add_parser("create", help="a job definition of a notebook")
    create.add_argument("notebook")
    create.add_argument("--name", help="default: the notebook's name")
    create.add_argument("--schedule", help="a cron expression, e.g. '0 2 * * *'")
    create.add_argument("--timezone", default="UTC")
    _spec_arguments(create)
    create.add_argument("--paused", action="store_true", help="create it paused")
    create.set_defaults(handler=_definitions_create)
    for name, help_text in (
        ("pause", "stop its schedule"),
        ("resume", "restart its schedule"),
        ("delete", "delete it (its runs stay)"),
        ("run", "run it now"),
    ):
        command = definitions.add_parser(name, help=help_text)
        command.add_argument("definition", help="its id or name")
        if name == "run":
            command.add_argument("-p", "--parameter", action="append", type=parse_parameter)
            _wait_arguments(command)
        command.set_defaults(handler=_definitions_change, action=name)
    return parser


def _spec_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        type=parse_parameter,
        metavar="NAME=VALUE",
        help="a parameter (repeatable); the value is read as JSON or a Python literal if it "
        "is one, else as text",
    )
    parser.add_argument("--timeout", type=float, help="seconds before the run is stopped")
    parser.add_argument("--retries", type=int, default=0, help="retries of a failed run")
    parser.add_argument("--experiment", help="the tracking experiment")
    parser.add_argument("--kernel", help="the kernel (default: the notebook's)")


def _wait_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="wait for the run to end, with a progress bar (default: wait)",
    )


def _parameters(args: argparse.Namespace) -> dict[str, Any]:
    return dict(args.parameter or [])


def _run(args: argparse.Namespace) -> int:
    from studio.jobs.api import run_notebook

    found = run_notebook(
        args.notebook,
        parameters=_parameters(args),
        timeout=args.timeout,
        retries=args.retries,
        experiment=args.experiment,
        wait=args.wait,
        kernel_name=args.kernel,
        name=args.name,
        html=args.html,
        tracking_uri=args.tracking_uri,
    )
    return _report(found, args.wait)


def _report(found: JobRun, waited: bool) -> int:
    print(_run_line(found))
    if not waited:
        return 0
    if found.error:
        print(found.error, file=sys.stderr)
    if found.output_path:
        print(f"output: {found.output_path}")
    return 0 if found.status.value == "SUCCEEDED" else 1


def _list(args: argparse.Namespace) -> int:
    from studio.jobs.api import list_runs

    found = list_runs(
        definition=args.definition,
        status=args.status,
        max_results=args.max_results,
        tracking_uri=args.tracking_uri,
    )
    for job_run in found:
        print(json.dumps(_plain(job_run)) if args.json else _run_line(job_run))
    return 0


def _show(args: argparse.Namespace) -> int:
    from studio.jobs.api import get_run

    found = get_run(args.id, tracking_uri=args.tracking_uri)
    fields = _plain(found)
    if args.json:
        print(json.dumps(fields, indent=2))
        return 0
    for key, value in fields.items():
        if value not in (None, {}, ""):
            print(f"{key}: {value}")
    return 0


def _cancel(args: argparse.Namespace) -> int:
    from studio.jobs.api import cancel

    print(_run_line(cancel(args.id, tracking_uri=args.tracking_uri)))
    return 0


def _log(args: argparse.Namespace) -> int:
    from studio.jobs.clients import jobs_client

    client = jobs_client(args.tracking_uri)
    offset = 0
    while True:
        text, offset, done = client.read_log(args.id, offset)
        if text:
            sys.stdout.write(text)
            sys.stdout.flush()
        elif done or not args.follow:
            return 0
        else:
            time.sleep(FOLLOW_INTERVAL)


def _definitions_list(args: argparse.Namespace) -> int:
    from studio.jobs.api import list_definitions

    for definition in list_definitions(tracking_uri=args.tracking_uri):
        print(json.dumps(_plain(definition)) if args.json else _definition_line(definition))
    return 0


def _definitions_create(args: argparse.Namespace) -> int:
    from studio.jobs.api import create_definition

    created = create_definition(
        args.notebook,
        schedule=args.schedule,
        timezone=args.timezone,
        parameters=_parameters(args),
        name=args.name,
        kernel_name=args.kernel,
        timeout=args.timeout,
        retries=args.retries,
        experiment=args.experiment,
        active=not args.paused,
        tracking_uri=args.tracking_uri,
    )
    print(_definition_line(created))
    return 0


def _definitions_change(args: argparse.Namespace) -> int:
    from studio.jobs.clients import jobs_client

    client = jobs_client(args.tracking_uri)
    if args.action == "delete":
        client.delete_definition(args.definition)
        print(f"deleted {args.definition}")
        return 0
    if args.action == "run":
        from studio.jobs.api import run_definition

        found = run_definition(
            args.definition, _parameters(args), wait=args.wait, tracking_uri=args.tracking_uri
        )
        return _report(found, args.wait)
    print(_definition_line(client.change_definition(args.definition, args.action)))
    return 0


def _run_line(job_run: JobRun) -> str:
    progress = job_run.progress
    cells = f"{progress.cells_done}/{progress.cells_total} cells" if progress.cells_total else ""
    return "\t".join(
        part
        for part in (
            str(job_run.id),
            job_run.status.value,
            job_run.name,
            job_run.trigger.value,
            _time(job_run.started_at or job_run.created_at),
            cells,
            f"run {job_run.run_id}" if job_run.run_id else "",
        )
        if part
    )


def _definition_line(definition: JobDefinition) -> str:
    state = "active" if definition.active else "paused"
    schedule = f"{definition.schedule} ({definition.timezone})" if definition.schedule else "-"
    upcoming = f"next {_time(definition.next_run_at)}" if definition.next_run_at else ""
    last = definition.last_status.value if definition.last_status else ""
    fields = (str(definition.id), definition.name, state, schedule, upcoming, last)
    return "\t".join(part for part in fields if part)


def _time(ms: int | None) -> str:
    if ms is None:
        return ""
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc).astimezone()
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _plain(found: Any) -> dict[str, Any]:
    from dataclasses import asdict

    fields: dict[str, Any] = asdict(found)
    for key, value in fields.items():
        if hasattr(value, "value"):
            fields[key] = value.value
    return fields
