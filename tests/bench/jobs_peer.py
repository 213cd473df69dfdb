"""jupyter-scheduler's side of `bench_jobs.py`: its own virtual environment (so that its server
extension never loads in Studio's environment, nor in `make test`), a `jupyter server` with it,
and the time from `POST /scheduler/jobs` to the job being COMPLETED."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from harness import BenchError, HttpClient, ServerProcess, free_port
from jobs_studio import PARAMETERS

PACKAGES = ("jupyter-scheduler", "ipykernel")
"""What the peer's environment holds: the scheduler (which pulls jupyter_server and nbconvert)
and a kernel for the notebooks it runs."""
_READY_MARK = ".studio-bench-ready"
POLL_S = 0.05
"""How often job status is polled, on both sides: the resolution of "POST to completed"."""


def peer_venv() -> Path:
    """`$TMPDIR/studio-bench-jupyter-scheduler`, made on first use and reused after."""
    folder = Path(os.environ.get("TMPDIR") or tempfile.gettempdir())
    return folder / "studio-bench-jupyter-scheduler"


def ensure_peer_venv(folder: Path) -> tuple[Path, str]:
    """The environment's python and jupyter-scheduler's version; installed from the configured
    package indexes when the folder holds no finished install."""
    python = folder / "bin" / "python"
    if not (folder / _READY_MARK).exists():
        print(f"Installing jupyter-scheduler into {folder} ...", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
        installed = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PACKAGES],
            capture_output=True,
            text=True,
            check=False,
        )
        if installed.returncode != 0:
            raise BenchError(
                f"pip install {' '.join(PACKAGES)} failed:\n{installed.stderr[-2000:]}"
            )
        (folder / _READY_MARK).write_text("")
    version = subprocess.run(
        [str(python), "-c", "import jupyter_scheduler; print(jupyter_scheduler.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return python, version


def peer_environment(sandbox_env: Mapping[str, str], data_dir: Path) -> dict[str, str]:
    """The peer server's environment: the sandbox's Jupyter folders, its own data folder (its
    SQLite database and staging area), and nothing of Studio's."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STUDIO_", "VIRTUAL_ENV", "PYTHONPATH"))
    }
    env.update(sandbox_env)
    data_dir.mkdir(parents=True, exist_ok=True)  # its SQLite file goes there at start
    env["JUPYTER_DATA_DIR"] = str(data_dir)
    return env


@contextmanager
def peer_server(
    python: Path, root: Path, env: Mapping[str, str]
) -> Iterator[tuple[ServerProcess, HttpClient]]:
    """`jupyter server` of the peer's environment serving `root`, with jupyter-scheduler
    enabled by its own installed configuration; stopped on exit."""
    port, token = free_port(), secrets.token_hex(16)
    command = [
        str(python), "-m", "jupyter_server",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        "--ServerApp.open_browser=False",
        f"--ServerApp.root_dir={root}",
        "--allow-root",
    ]  # fmt: skip
    headers = {"Authorization": f"token {token}"}
    with (
        ServerProcess(
            "jupyter server (jupyter-scheduler)",
            command,
            port=port,
            env=env,
            log_path=root.parent / "peer-server.log",
            ready_path="/scheduler/jobs",
            headers=headers,
        ) as server,
        HttpClient(port, headers) as client,
    ):
        yield server, client


def time_peer_job(client: HttpClient, notebook: str, timeout_s: float = 120.0) -> float:
    """Seconds from sending `POST /scheduler/jobs` for `notebook` (relative to the server's
    root) to `GET /scheduler/jobs/{id}` answering COMPLETED."""
    body: dict[str, Any] = {
        "name": "bench",
        "input_uri": notebook,
        "runtime_environment_name": "python3",
        "output_formats": ["ipynb"],
        "parameters": {key: str(value) for key, value in PARAMETERS.items()},
    }
    started = time.perf_counter()
    created = client.send_json("POST", "/scheduler/jobs", body)
    job_id = created["job_id"]
    return _wait_completed(client, job_id, started + timeout_s) - started


def _wait_completed(client: HttpClient, job_id: str, deadline: float) -> float:
    """The `time.perf_counter()` at which the job was first seen COMPLETED."""
    while time.perf_counter() < deadline:
        job = client.get_json(f"/scheduler/jobs/{job_id}")
        status = job["status"]
        if status == "COMPLETED":
            return time.perf_counter()
        # A new job reads STOPPED (its column's default) until its process marks it
        # IN_PROGRESS; STOPPED after a start is a stop.
        if status == "FAILED" or (status == "STOPPED" and job.get("start_time")):
            raise BenchError(
                f"jupyter-scheduler job {job_id} ended {status}: {json.dumps(job)[:800]}"
            )
        time.sleep(POLL_S)
    raise BenchError(f"jupyter-scheduler job {job_id} did not complete in time")
