"""A real JupyterLab with Studio, in a subprocess confined to one folder (tests and benchmark).

Every Jupyter folder (config, data, runtime, workspaces, user settings) points into `base`,
so nothing reads or writes the user's. The Studio extension served is this checkout's build,
`studio/labextension`, linked into a JUPYTER_PATH folder (which comes before the virtual
environment's share/jupyter): the browser sees the code just built, even where the
installed copy is stale. The server runs in its own process group and is always stopped,
kernels included.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
LABEXTENSION_BUILD = REPO_ROOT / "studio" / "labextension"
START_TIMEOUT_S = 90.0
SOURCE_NOTEBOOK_TEXT = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
STUDIO_VARIABLES = (
    "STUDIO_HOME", "STUDIO_DB_URL", "STUDIO_ARTIFACT_ROOT", "STUDIO_TRACKING_URI",
    "STUDIO_TOKEN", "STUDIO_RUN_ID",
)  # fmt: skip
# JupyterLab's news prompt would cover part of every screenshot.
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}


class LabError(RuntimeError):
    """JupyterLab could not be started (the message holds its log's tail)."""


@dataclass(frozen=True)
class LabServer:
    url: str  # http://127.0.0.1:<port>, no trailing slash
    token: str
    root_dir: Path
    log_path: Path

    def api(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """Studio's REST API as the page sees it: (status, decoded JSON answer)."""
        request = urllib.request.Request(
            f"{self.url}/studio/api/{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            with error:
                return error.code, json.loads(error.read() or b"null")

    def log_tail(self, lines: int = 60) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ready(url: str, token: str) -> bool:
    headers = {"Authorization": f"token {token}"}
    request = urllib.request.Request(f"{url}/api/status", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return bool(answer.status == 200)
    except OSError:  # refused while starting; URLError and HTTPError are OSErrors
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to JupyterLab's process group (it and its kernels), then SIGKILL."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def lab_environment(base: Path, studio_home: Path) -> dict[str, str]:
    """Jupyter and Studio confined to `base`; this checkout's extension build first on the path."""
    if not (LABEXTENSION_BUILD / "package.json").exists():
        raise LabError(
            f"No built extension in {LABEXTENSION_BUILD}: build it with "
            "`cd labextension && npm run build` (pip install -e . does it too)."
        )
    jupyter_path = base / "jupyter-path"
    (jupyter_path / "labextensions").mkdir(parents=True)
    (jupyter_path / "labextensions" / "jupyter-studio").symlink_to(LABEXTENSION_BUILD)
    config_dir = base / "jupyter-config"
    (config_dir / "labconfig").mkdir(parents=True)
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG))
    env = {name: value for name, value in os.environ.items() if name not in STUDIO_VARIABLES}
    env.update(
        JUPYTER_PATH=str(jupyter_path),
        JUPYTER_CONFIG_DIR=str(config_dir),
        JUPYTER_DATA_DIR=str(base / "jupyter-data"),
        JUPYTER_RUNTIME_DIR=str(base / "jupyter-runtime"),
        IPYTHONDIR=str(base / "ipython"),
        STUDIO_HOME=str(studio_home),
        PYTHONWARNINGS="ignore",
    )
    return env


def lab_command(port: int, token: str, base: Path, root_dir: Path) -> list[str]:
    return [
        sys.executable, "-m", "jupyterlab",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        "--allow-root",
        "--no-browser",
        f"--IdentityProvider.token={token}",
        "--LabApp.expose_app_in_browser=True",
        f"--ServerApp.root_dir={root_dir}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
        f"--LabApp.user_settings_dir={base / 'user-settings'}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--ServerApp.jpserver_extensions=studio=True",
    ]  # fmt: skip


@contextlib.contextmanager
def running_lab(
    base: Path, studio_home: Path, notebooks: tuple[str, ...] = ()
) -> Iterator[LabServer]:
    """JupyterLab over the store in `studio_home`, serving `base`/root (with empty notebooks
    of these names); stopped on exit, whatever happens."""
    root_dir = base / "root"
    root_dir.mkdir()
    for notebook in notebooks:
        (root_dir / notebook).write_text(SOURCE_NOTEBOOK_TEXT)
    port, token = free_port(), secrets.token_hex(16)
    log_path = base / "jupyterlab.log"
    server = LabServer(f"http://127.0.0.1:{port}", token, root_dir, log_path)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            lab_command(port, token, base, root_dir),
            env=lab_environment(base, studio_home),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=base,
            start_new_session=True,  # its own process group: kernels stop with it
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _ready(server.url, token):
            if process.poll() is not None:
                raise LabError(f"JupyterLab exited ({process.returncode}):\n{server.log_tail()}")
            if time.monotonic() > deadline:
                raise LabError(
                    f"JupyterLab not ready in {START_TIMEOUT_S:.0f}s:\n{server.log_tail()}"
                )
            time.sleep(0.25)
        yield server
    finally:
        _stop(process)
