"""Starting and stopping `studio serve` processes on this machine, and finding a live one.

A started server runs in a session of its own (`start_new_session=True`): it outlives the
Jupyter server (or the Python process) that started it, and Ctrl-C in their terminal does not
reach it. uvicorn's workers are its children in the same process group, and they keep serving
when only their supervisor is killed, so stopping signals the whole group: SIGTERM (uvicorn
finishes the requests in flight, up to 30 s, then the capture is flushed), SIGKILL to what is
left after the grace. The server records itself in the store (a replica) and beats every 5 s;
start waits for that row and for `GET /ping`, which answers once its models are loaded.

Everything here blocks: the Jupyter server calls it off its event loop.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import psutil

from studio.errors import Conflict, InvalidInput
from studio.jobs.proctree import process_alive
from studio.serving.serve_cli import MANAGED_ENV
from studio.serving.store_replicas import REPLICA_ALIVE_MS
from studio.serving.validation import check_endpoint_name, is_loopback

if TYPE_CHECKING:
    from studio.serving.entities import Replica
    from studio.serving.service import EndpointService
    from studio.serving.store import ReplicaProcess

__all__ = [
    "PROXY_KEY_HEADER",
    "READY_TIMEOUT",
    "STOP_GRACE",
    "NotRunning",
    "ServerFailed",
    "log_path",
    "proxy_target",
    "start_replica",
    "stop_replicas",
    "this_host",
]

PROXY_KEY_HEADER = "X-Studio-Proxy-Key"
READY_TIMEOUT = 60.0
"""Seconds a new server has to record itself and answer /ping (imports and model loads)."""
STOP_GRACE = 35.0
"""Seconds between SIGTERM and SIGKILL: uvicorn's graceful shutdown (30 s) and the flush."""
_POLL = 0.1
_LOG_TAIL = 4000
_WILDCARD = ("", "0.0.0.0", "::")

# The servers this process started, by pid: waited for when they end, so none stays a zombie
# (whose process group would still look alive), and never garbage-collected while running.
_children: dict[int, subprocess.Popen[bytes]] = {}


class NotRunning(Conflict):
    """No live replica of the endpoint (the proxy answers 503)."""


class ServerFailed(Conflict):
    """A server did not come up (a port taken, a model that does not load); the message
    ends with its log's tail."""


def this_host() -> str:
    """This machine's name, as replicas record it: stop signals only processes on it."""
    return socket.gethostname()


def log_path(service: EndpointService, name: str) -> Path:
    """`STUDIO_HOME/serving/<name>.log`: what a started server writes (appended)."""
    return service.studio_config.home / "serving" / f"{check_endpoint_name(name)}.log"


def start_replica(
    service: EndpointService,
    name: str,
    *,
    host: str | None,
    port: int | None,
    workers: int | None,
    token: str | None,
    actor: str | None,
) -> Replica:
    endpoint = service.get(name)
    if token is not None:
        endpoint = service.update(name, token=token, actor=actor)
    bind_host = host or endpoint.host
    if not endpoint.has_token and not is_loopback(bind_host):
        raise InvalidInput(
            f"Endpoint {name!r} has no token: it listens only on loopback, not on {bind_host}."
        )
    running = [r for r in service.store.replica_processes(name) if _local(r) and _alive(r)]
    if running:
        raise Conflict(
            f"Endpoint {name!r} already runs on this machine (port {running[0].port}, pid "
            f"{running[0].pid}): stop it first."
        )
    chosen_workers = workers or endpoint.workers
    chosen_port = port or _reusable(bind_host, endpoint.port) or _free_port(bind_host)
    log = log_path(service, name)
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "studio.serving.serve_cli",
        name,
        "--host",
        bind_host,
        "--port",
        str(chosen_port),
        "--workers",
        str(chosen_workers),
    ]
    _reap()
    offset = log.stat().st_size if log.exists() else 0
    with log.open("ab") as output:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **service.studio_config.environment(), MANAGED_ENV: "1"},
            start_new_session=True,
            close_fds=True,
        )
    _children[child.pid] = child
    try:
        replica_id = _wait_ready(service, name, child, bind_host, chosen_port)
    except ServerFailed as exc:
        _kill_group(child.pid, grace=5.0)
        # Killed before its own shutdown could say so (a server that exited did already).
        for replica in service.store.replica_processes(name):
            if replica.pid == child.pid:
                service.replica_stopped(replica.id, "did not become ready")
        raise ServerFailed(f"{exc.message}\n{_tail(log, offset)}") from None
    service.store.mark_managed(replica_id)
    service.store.set_launch(name, host=bind_host, port=chosen_port, workers=chosen_workers)
    service.store.record_event(
        name,
        "started",
        {"replica": replica_id, "host": this_host(), "port": chosen_port, "pid": child.pid},
        actor=actor,
        now=service.clock(),
    )
    return next(r for r in service.replicas(name) if r.id == replica_id)


def stop_replicas(service: EndpointService, name: str, *, actor: str | None) -> list[Replica]:
    """Stop every replica of `name` that Studio started on this machine (SIGTERM to its
    process group, SIGKILL after the grace); mark each stopped. Others are left alone."""
    mine = [r for r in service.store.replica_processes(name) if r.managed and _local(r)]
    signalled = [r for r in mine if _alive(r) and _signal_group(r.pgid, signal.SIGTERM)]
    deadline = time.monotonic() + STOP_GRACE
    for replica in signalled:
        if not _wait_group_gone(replica.pgid, deadline):
            _signal_group(replica.pgid, signal.SIGKILL)
            _wait_group_gone(replica.pgid, time.monotonic() + 5.0)
    for replica in mine:
        service.replica_stopped(replica.id, None if replica in signalled else "not running")
    if mine:
        service.store.record_event(
            name,
            "stopped",
            {"replicas": [r.id for r in mine]},
            actor=actor,
            now=service.clock(),
        )
    stopped = {r.id for r in mine}
    return [r for r in service.replicas(name) if r.id in stopped]


def proxy_target(service: EndpointService, name: str) -> tuple[str, dict[str, str]]:
    row = service.store.endpoint_row(name)
    now = service.clock()
    live = [
        r for r in service.store.replica_processes(name) if now - r.heartbeat_at <= REPLICA_ALIVE_MS
    ]
    if not live:
        raise NotRunning(f"The endpoint {name!r} is not running.")
    # A replica on this machine first: no network hop, and reachable on loopback.
    live.sort(key=lambda r: (not _local(r), -r.heartbeat_at))
    replica = live[0]
    return f"http://{_connect_host(replica)}:{replica.port}", {PROXY_KEY_HEADER: row.proxy_key}


def _connect_host(replica: ReplicaProcess) -> str:
    if replica.bind_host in _WILDCARD:
        address = "127.0.0.1" if _local(replica) else replica.host
    else:
        address = replica.bind_host
    return f"[{address}]" if ":" in address else address


def _local(replica: ReplicaProcess) -> bool:
    return replica.host in (this_host(), socket.getfqdn(), "localhost")


def _alive(replica: ReplicaProcess) -> bool:
    _reap()
    return process_alive(replica.pid, replica.pid_started_at)


def _wait_ready(
    service: EndpointService,
    name: str,
    child: subprocess.Popen[bytes],
    bind_host: str,
    port: int,
) -> str:
    """The replica id of `child` once it recorded itself and answers /ping."""
    deadline = time.monotonic() + READY_TIMEOUT
    host = "127.0.0.1" if bind_host in _WILDCARD else bind_host
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/ping"
    replica_id: str | None = None
    while time.monotonic() < deadline:
        status = child.poll()
        if status is not None:
            raise ServerFailed(
                f"The server of endpoint {name!r} exited with status {status} before it was "
                "ready. Its log ends with:"
            )
        if replica_id is None:
            replica_id = next(
                (r.id for r in service.store.replica_processes(name) if r.pid == child.pid), None
            )
        if replica_id is not None and _pings(url):
            return replica_id
        time.sleep(_POLL)
    raise ServerFailed(
        f"The server of endpoint {name!r} was not ready within {READY_TIMEOUT:.0f} s (no "
        f"replica recorded or no answer on {url}); it was stopped. Its log ends with:"
    )


def _pings(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2.0) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _reusable(host: str, port: int | None) -> int | None:
    """The endpoint's last port, if it is free now."""
    if port is None:
        return None
    try:
        with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
            probe.bind((host, port))
    except OSError:
        return None
    return port


def _free_port(host: str) -> int:
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _signal_group(pgid: int, signum: signal.Signals) -> bool:
    try:
        os.killpg(pgid, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _wait_group_gone(pgid: int, deadline: float) -> bool:
    while True:
        _reap()
        if not _group_running(pgid):
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL)


def _group_running(pgid: int) -> bool:
    """Whether a process of the group still runs; zombies (ended, not yet reaped by a parent
    that is not this process) do not count."""
    if not _signal_group(pgid, 0):  # type: ignore[arg-type]
        return False
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                return True
        except (ProcessLookupError, psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return False


def _kill_group(pgid: int, grace: float) -> None:
    if _signal_group(pgid, signal.SIGTERM) and not _wait_group_gone(pgid, time.monotonic() + grace):
        _signal_group(pgid, signal.SIGKILL)
        _wait_group_gone(pgid, time.monotonic() + 5.0)


def _reap() -> None:
    """Wait for the servers this process started that have ended."""
    for pid, child in list(_children.items()):
        if child.poll() is not None:
            _children.pop(pid, None)


def _tail(log: Path, offset: int) -> str:
    with contextlib.suppress(OSError), log.open("rb") as handle:
        size = log.stat().st_size
        handle.seek(max(offset, size - _LOG_TAIL))
        return handle.read().decode("utf-8", errors="replace")
    return ""
