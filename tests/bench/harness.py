"""Plumbing shared by Studio's benchmarks: a temporary sandbox, server processes, HTTP timing,
and the table of figures.

Nothing here knows about Studio or MLflow; `bench_tracking.py` holds the measurements.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


class BenchError(RuntimeError):
    """Something went wrong while measuring (not a missed target): the run fails."""


# Figures -------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table: a figure measured for Studio and for MLflow.

    `higher_is_better` says whether the figure is a rate (points/s) or a latency (ms); the
    ratio is always "how many times better Studio is", and the target applies to Studio.
    """

    figure: str
    unit: str
    studio: float | None
    mlflow: float | None
    higher_is_better: bool
    target: float | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ratio(self) -> float | None:
        if self.studio is None or self.mlflow is None or 0 in (self.studio, self.mlflow):
            return None
        if self.higher_is_better:
            return self.studio / self.mlflow
        return self.mlflow / self.studio

    @property
    def passed(self) -> bool | None:
        if self.target is None or self.studio is None:
            return None
        if self.higher_is_better:
            return self.studio >= self.target
        return self.studio < self.target

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "-"
        return f"{'>=' if self.higher_is_better else '<'} {_number(self.target)} {self.unit}"

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(ratio=self.ratio, passed=self.passed)
        return data


def _number(value: float | None) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def render_table(rows: Sequence[Row], peer: str = "MLflow") -> str:
    """A plain-text table with numbered notes underneath; `peer` heads the column of the
    tool Studio is compared with."""
    header = ("Figure", "Unit", "Studio", peer, "Studio x", "Target", "Result")
    lines: list[tuple[str, ...]] = []
    notes: list[str] = []
    for row in rows:
        marks = ""
        for note in row.notes:
            notes.append(note)
            marks += f"[{len(notes)}]"
        result = {True: "PASS", False: "FAIL", None: "-"}[row.passed]
        ratio = "-" if row.ratio is None else f"{row.ratio:,.1f}x"
        lines.append(
            (
                f"{row.figure} {marks}".rstrip(),
                row.unit,
                _number(row.studio),
                _number(row.mlflow),
                ratio,
                row.target_text,
                result,
            )
        )
    widths = [max(len(line[i]) for line in (header, *lines)) for i in range(len(header))]

    def fmt(cells: tuple[str, ...]) -> str:
        left = cells[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([left, *rest])

    out = [fmt(header), "  ".join("-" * width for width in widths)]
    out += [fmt(line) for line in lines]
    if notes:
        out.append("")
        out += [f"[{number}] {note}" for number, note in enumerate(notes, 1)]
    return "\n".join(out)


def machine_info(extra: Mapping[str, str]) -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "sqlite": sqlite3.sqlite_version,
        **extra,
    }


def write_json(path: Path, rows: Sequence[Row], info: Mapping[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": dict(info), "figures": [row.as_dict() for row in rows]}
    # NaN or infinite ratios cannot be JSON; there are none, but refuse rather than emit them.
    path.write_text(json.dumps(document, indent=2, allow_nan=False) + "\n")


# Statistics ----------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    if not values:
        raise BenchError("No samples to take a median of.")
    return statistics.median(values)


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.inf


# The sandbox: every file either tool writes lives in one temporary folder -------------------


# Studio variables that would point a measurement at another store, or at a job's run.
_STUDIO_VARIABLES = (
    "STUDIO_TRACKING_URI",
    "STUDIO_DB_URL",
    "STUDIO_ARTIFACT_ROOT",
    "STUDIO_RUN_ID",
)


class Sandbox:
    """A temporary folder for the whole run; `fresh()` hands out a new folder per measurement.

    While it is open the process works inside it (MLflow resolves relative paths such as
    `./mlruns` against the working directory) and the Jupyter and MLflow environment variables
    point into it, so neither tool writes anywhere else.
    """

    def __init__(self, keep: bool = False) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="studio-bench-"))
        self.keep = keep
        self._count = 0
        self._saved_env: dict[str, str | None] = {}
        self._saved_cwd = os.getcwd()

    def fresh(self, label: str) -> Path:
        self._count += 1
        folder = self.root / f"{self._count:02d}-{label}"
        folder.mkdir()
        return folder

    def environment(self) -> dict[str, str]:
        """Variables that keep Jupyter, Studio and MLflow inside the sandbox."""
        return {
            "JUPYTER_CONFIG_DIR": str(self.root / "jupyter" / "config"),
            "JUPYTER_DATA_DIR": str(self.root / "jupyter" / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.root / "jupyter" / "runtime"),
            "IPYTHONDIR": str(self.root / "ipython"),
            # A default that no measurement uses: each one names its own fresh STUDIO_HOME.
            "STUDIO_HOME": str(self.root / "unused-studio-home"),
            "MLFLOW_TRACKING_URI": f"sqlite:///{self.root / 'unused-mlflow.db'}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            # Whatever else a tool keeps "in the user's folders" lands here too.
            "XDG_CONFIG_HOME": str(self.root / "xdg" / "config"),
            "XDG_CACHE_HOME": str(self.root / "xdg" / "cache"),
            "XDG_DATA_HOME": str(self.root / "xdg" / "data"),
            "PYTHONWARNINGS": "ignore",
        }

    def __enter__(self) -> Sandbox:
        for name, value in self.environment().items():
            self._saved_env[name] = os.environ.get(name)
            os.environ[name] = value
        for name in _STUDIO_VARIABLES:
            self._saved_env[name] = os.environ.pop(name, None)
        os.chdir(self.root)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        os.chdir(self._saved_cwd)
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self.keep:
            print(f"Kept the benchmark's files in {self.root}")
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def child_environment(overrides: Mapping[str, str]) -> dict[str, str]:
    """The environment of a child process: ours (sandboxed), the repository importable."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if part
    )
    env.update(overrides)
    return env


# Server processes ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """A server started as a child process in its own process group, always stopped on exit.

    `ready_path` is polled (with `headers`) until it answers 200 within `start_timeout`.
    The server's output goes to a log file whose tail is shown if it fails to start.
    """

    def __init__(
        self,
        name: str,
        command: Sequence[str],
        *,
        port: int,
        env: Mapping[str, str],
        log_path: Path,
        ready_path: str,
        headers: Mapping[str, str] | None = None,
        start_timeout: float = 90.0,
    ) -> None:
        self.name = name
        self.command = list(command)
        self.port = port
        self.env = dict(env)
        self.log_path = log_path
        self.ready_path = ready_path
        self.headers = dict(headers or {})
        self.start_timeout = start_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0

    def __enter__(self) -> ServerProcess:
        started = time.perf_counter()
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.log_path.parent,
                start_new_session=True,  # its own process group: workers stop with it
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        self.startup_s = time.perf_counter() - started
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"{self.name} exited with status {self.process.returncode} while "
                    f"starting:\n{self.log_tail()}"
                )
            try:
                with HttpClient(self.port, self.headers, timeout=5) as client:
                    status, _ = client.request(self.ready_path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise BenchError(
            f"{self.name} did not answer {self.ready_path} within {self.start_timeout:.0f}s:\n"
            f"{self.log_tail()}"
        )

    def stop(self) -> None:
        """SIGTERM to the server's process group, then SIGKILL if it lingers."""
        process = self.process
        if process is None:
            return
        self.process = None
        if process.poll() is None:
            _signal_group(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                _signal_group(process.pid, signal.SIGKILL)
                process.wait(timeout=15)
        # Workers of the group that outlived their parent.
        _signal_group(process.pid, signal.SIGKILL)

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class HttpClient:
    """One keep-alive HTTP connection to 127.0.0.1: timings measure the server, not TCP setup."""

    def __init__(
        self, port: int, headers: Mapping[str, str] | None = None, timeout: float = 60.0
    ) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.headers = dict(headers or {})

    def request(self, path: str) -> tuple[int, bytes]:
        self.connection.request("GET", path, headers=self.headers)
        response = self.connection.getresponse()
        return response.status, response.read()

    def send_json(self, method: str, path: str, body: Any) -> Any:
        """Send `body` as JSON; the answer's JSON (a 2xx status expected)."""
        headers = {**self.headers, "Content-Type": "application/json"}
        self.connection.request(method, path, body=json.dumps(body), headers=headers)
        response = self.connection.getresponse()
        answer = response.read()
        if not 200 <= response.status < 300:
            raise BenchError(f"{method} {path} answered {response.status}: {answer[:500]!r}")
        return json.loads(answer) if answer else None

    def get_json(self, path: str) -> Any:
        status, body = self.request(path)
        if status != 200:
            raise BenchError(f"GET {path} answered {status}: {body[:500]!r}")
        return json.loads(body)

    def time_gets(
        self, path: str, repeats: int, warmup: int = 3, budget_s: float | None = None
    ) -> tuple[list[float], bytes]:
        """Seconds from sending each GET to having read its whole body; and the last body.

        With `budget_s`, timing stops once that much time went into timed requests (after at
        least 3 of them), so a slow server cannot stretch the run past its budget.
        """
        body = b""
        timings: list[float] = []
        for attempt in range(warmup + repeats):
            started = time.perf_counter()
            status, body = self.request(path)
            elapsed = time.perf_counter() - started
            if status != 200:
                raise BenchError(f"GET {path} answered {status}: {body[:500]!r}")
            if attempt >= warmup:
                timings.append(elapsed)
            if budget_s is not None and len(timings) >= 3 and sum(timings) > budget_s:
                break
        return timings, body

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.connection.close()


# A throwaway PostgreSQL server ---------------------------------------------------------------


def postgres_available() -> bool:
    """Whether Debian's PostgreSQL programs are installed (tests/pg_cluster.sh needs them)."""
    return any(Path("/usr/lib/postgresql").glob("*/bin/initdb"))


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A throwaway PostgreSQL cluster (tests/pg_cluster.sh start/stop): yields its database
    URL, and always stops it. Its folder is a new one under /tmp, not in the sandbox: as root
    the server runs as `postgres`, which must be able to reach it."""
    script = str(REPO_ROOT / "tests" / "pg_cluster.sh")
    folder = tempfile.mkdtemp(prefix="studio-bench-pg-", dir=os.environ.get("STUDIO_PG_TMPDIR"))
    started = subprocess.run([script, "start", folder], capture_output=True, text=True, check=False)
    try:
        if started.returncode != 0:
            raise BenchError(f"tests/pg_cluster.sh start failed:\n{started.stderr[-2000:]}")
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([script, "stop", folder], capture_output=True, check=False)


@contextlib.contextmanager
def postgres_server(url: str | None, skip: bool = False) -> Iterator[str | None]:
    """The PostgreSQL server to measure on: `url` if given, else a throwaway cluster where
    PostgreSQL is installed, else (or with `skip`) None: SQLite only."""
    if skip:
        yield None
    elif url:
        yield url
    elif postgres_available():
        with postgres_cluster() as started:
            print(f"PostgreSQL: a throwaway cluster at {started}", file=sys.stderr, flush=True)
            yield started
    else:
        print("PostgreSQL is not installed: SQLite only", file=sys.stderr, flush=True)
        yield None


# Subprocess timing ---------------------------------------------------------------------------


def time_python(code: str, env: Mapping[str, str], cwd: Path) -> float:
    """Wall seconds of `python -c code` in a fresh interpreter."""
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-c", code],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if completed.returncode != 0:
        raise BenchError(
            f"python -c {code!r} failed ({completed.returncode}):\n"
            f"{completed.stderr.decode(errors='replace')[-2000:]}"
        )
    return elapsed
