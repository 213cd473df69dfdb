"""`studio serve NAME`: serve an endpoint over HTTP until SIGTERM.

The process records itself in the store as a replica of the endpoint (host, port, pid and
process group, so that JupyterLab can stop what it started, and a replica started by hand is
told apart), beats every few seconds, and marks itself stopped on the way out. uvicorn runs
the app by its import string (its workers are spawned afresh and import it), with TCP_NODELAY
on every connection (`studio.serving.protocol`) and 30 s for requests in flight to finish.

An endpoint without a token listens on loopback only: anything else would put an
unauthenticated model on the network.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Sequence
from types import FrameType

import psutil
import uvicorn

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.errors import StudioError
from studio.serving.entities import DEFAULT_BIND_HOST
from studio.serving.protocol import PROTOCOL_IMPORT
from studio.serving.service import EndpointService
from studio.serving.settings import DEFAULT_MAX_BODY_MB, DEFAULT_MAX_ROWS, ServeSettings
from studio.serving.validation import is_loopback

__all__ = ["main"]

log = logging.getLogger(__name__)

APP_IMPORT = "studio.serving.asgi:app"
MANAGED_ENV = "STUDIO_SERVE_MANAGED"
HEARTBEAT_S = 5.0
GRACEFUL_SHUTDOWN_S = 30


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO, format="studio serve: %(message)s")
    try:
        return _serve(args)
    except StudioError as exc:
        print(f"studio serve: {exc.message}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="studio serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("name", help="the endpoint")
    parser.add_argument("--host", default=DEFAULT_BIND_HOST, help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument(
        "--token-env",
        metavar="VAR",
        help="accept the token in this environment variable too (besides the endpoint's)",
    )
    parser.add_argument(
        "--max-body-mb",
        type=float,
        default=DEFAULT_MAX_BODY_MB,
        help=f"largest request body, MiB (default {DEFAULT_MAX_BODY_MB:g}; larger: 413)",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=DEFAULT_MAX_ROWS,
        help=f"most rows in one request (default {DEFAULT_MAX_ROWS:,}; more: 413)",
    )
    return parser


def _serve(args: argparse.Namespace) -> int:
    if args.workers < 1 or args.max_rows < 1 or args.max_body_mb <= 0:
        raise StudioError("--workers, --max-rows and --max-body-mb must be positive.")
    token = None
    if args.token_env:
        token = os.environ.get(args.token_env)
        if not token:
            raise StudioError(f"--token-env {args.token_env}: that variable is not set.")
    studio = StudioConfig.resolve()
    database = Database.from_config(studio)
    try:
        return _serve_endpoint(args, token, studio, EndpointService.from_database(database, studio))
    finally:
        database.dispose()


def _serve_endpoint(
    args: argparse.Namespace, token: str | None, studio: StudioConfig, service: EndpointService
) -> int:
    endpoint = service.get(args.name)
    if not is_loopback(args.host) and not endpoint.has_token and not token:
        raise StudioError(
            f"Endpoint {args.name!r} has no token, so it listens on loopback only: give it a "
            f"token (studio endpoints update {args.name} --token ...) or pass --token-env, "
            f"or serve on {DEFAULT_BIND_HOST}."
        )
    port = args.port or _free_port(args.host)
    stopping = _handle_sigterm()
    replica_id = service.register_replica(
        args.name,
        host=socket.gethostname(),
        bind_host=args.host,
        port=port,
        pid=os.getpid(),
        pgid=os.getpgrp(),
        pid_started_at=psutil.Process().create_time(),
        workers=args.workers,
        managed=os.environ.get(MANAGED_ENV) == "1",
    )
    beats = threading.Thread(
        target=_beat, args=(service, replica_id, stopping), name="replica-heartbeat", daemon=True
    )
    beats.start()
    settings = ServeSettings(
        endpoint=args.name,
        replica_id=replica_id,
        studio=studio,
        max_body_bytes=int(args.max_body_mb * 1024 * 1024),
        max_rows=args.max_rows,
        supervisor_pid=os.getpid() if args.workers > 1 else 0,
    )
    os.environ.update(settings.environment(args.token_env))
    error: str | None = None
    log.info("endpoint %s on http://%s:%d (%d workers)", args.name, args.host, port, args.workers)
    try:
        uvicorn.run(
            APP_IMPORT,
            host=args.host,
            port=port,
            workers=args.workers,
            http=PROTOCOL_IMPORT,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            log_level="warning",
            access_log=False,
        )
    except SystemExit as exc:
        if not stopping.is_set():
            error = f"uvicorn exited with {exc.code}"
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        stopping.set()
        service.replica_stopped(replica_id, error=error)
    return 0 if error is None else 1


def _handle_sigterm() -> threading.Event:
    """SIGTERM before uvicorn starts (or re-raised by it after its graceful shutdown) ends
    the process through the `finally` that marks the replica stopped."""
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    return stopping


def _beat(service: EndpointService, replica_id: str, stopping: threading.Event) -> None:
    while not stopping.wait(HEARTBEAT_S):
        try:
            service.beat(replica_id)
        except Exception:  # a store hiccup must not stop serving; the next beat retries
            log.exception("heartbeat of replica %s failed", replica_id)


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


if __name__ == "__main__":  # how JupyterLab starts it: python -m studio.serving.serve_cli
    sys.exit(main())
