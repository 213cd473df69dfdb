"""`studio scheduler`: the notebook jobs' scheduler without JupyterLab."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from studio.errors import StudioError

__all__ = ["main"]


# `studio scheduler` ---------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the jobs' scheduler until SIGINT or SIGTERM, which stop it gracefully (its runs
    end FAILED "interrupted" and are retried as their retries allow)."""
    args = _scheduler_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        return asyncio.run(_run_scheduler(args))
    except StudioError as exc:
        print(f"studio scheduler: {exc.message}", file=sys.stderr)
        return 2


def _scheduler_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio scheduler",
        description=(
            "Run notebook jobs, scheduled and queued, without JupyterLab. Any number of "
            "schedulers may share one database: each occurrence runs once."
        ),
    )
    parser.add_argument("--db-url", help="database URL (default: STUDIO_DB_URL or STUDIO_HOME)")
    parser.add_argument("--home", help="Studio's folder (default: STUDIO_HOME)")
    parser.add_argument(
        "--max-concurrent-jobs", type=_count, default=2, help="runs at once (default: 2)"
    )
    parser.add_argument(
        "--executor",
        default="local",
        help="'local' (default), 'dask', or a 'module:Class' executor",
    )
    parser.add_argument(
        "--dask-scheduler-address", default="", help="the Dask scheduler, with --executor dask"
    )
    parser.add_argument(
        "--max-bundle-mb",
        type=_count,
        default=100,
        help="the largest notebook folder a Dask job sends to its worker (default: 100)",
    )
    parser.add_argument(
        "--heartbeat-interval",
        type=_seconds,
        default=5.0,
        help="seconds between heartbeats; a run silent for 3 is interrupted (default: 5)",
    )
    parser.add_argument(
        "--tick", type=_seconds, default=1.0, help="seconds between looks for work (default: 1)"
    )
    return parser


async def _run_scheduler(args: argparse.Namespace) -> int:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.jobs.executors import build_executor
    from studio.jobs.scheduler import Scheduler
    from studio.jobs.service import JobService

    config = StudioConfig.resolve(home=args.home, db_url=args.db_url)
    database = Database.from_config(config)
    try:
        await asyncio.to_thread(database.ensure_schema)
        executor = build_executor(
            args.executor,
            dask_scheduler_address=args.dask_scheduler_address,
            max_bundle_bytes=args.max_bundle_mb * 1024 * 1024,
        )
        scheduler = Scheduler(
            JobService.from_database(database, config),
            executor,
            max_concurrent_jobs=args.max_concurrent_jobs,
            tick=args.tick,
            heartbeat_interval=args.heartbeat_interval,
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        logging.getLogger(__name__).info("Studio jobs from %s", database.display_url)
        scheduler.start()
        await stop.wait()
        await scheduler.stop()
    finally:
        database.dispose()
    return 0


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is not 0 or more")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of seconds")
    return value
