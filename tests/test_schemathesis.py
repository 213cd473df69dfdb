"""Fuzz the whole REST API from its own OpenAPI document with schemathesis.

A real Jupyter server with Studio runs in a subprocess on a free loopback port (its store in
tmp_path: SQLite, or a fresh database on the PostgreSQL server that STUDIO_TEST_DB_URL names),
and schemathesis's `st` command generates positive and negative requests for every operation
the document lists. Each answer must be no server error and must match the document: its
status, its content type and its body's schema. A fixed seed and a bounded number of examples
keep the run deterministic and short.

jupyter_server's own answers are not the document's to describe: a missing token is a 403 (not
the 401 the `ignored_auth` check wants) and TRACE is a 405, so the checks run here are the four
that hold the document to what the server does.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

from tests.tracking.conftest import TEST_DB_URL_ENV, fresh_server_database

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
SEED = 20261129
MAX_EXAMPLES = 40
# The whole run's budget (`make test` allows two minutes per database); st stops when spent.
MAX_SECONDS = 100
SERVER_START_TIMEOUT = 60
TOKEN = "schemathesis-token"  # a throwaway server's token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the Jupyter server exited early:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    pytest.fail(f"the Jupyter server did not answer in time:\n{log.read_text()[-4000:]}")


@contextmanager
def jupyter_server(tmp_path: Path, db_url: str) -> Iterator[str]:
    """A Jupyter server with Studio on a free loopback port; yields its base URL and always
    stops it (and waits for it) on exit."""
    port = free_port()
    env = {
        **os.environ,
        "HOME": str(tmp_path / "home"),
        "JUPYTER_CONFIG_DIR": str(tmp_path / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(tmp_path / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(tmp_path / "jupyter-runtime"),
        "JUPYTER_PLATFORM_DIRS": "1",
        "STUDIO_HOME": str(tmp_path / "studio-home"),
        "STUDIO_DB_URL": db_url,
        "STUDIO_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
    }
    env.pop("STUDIO_TRACKING_URI", None)
    root = tmp_path / "root"
    root.mkdir()
    log = tmp_path / "server.log"
    command = [
        sys.executable,
        "-m",
        "jupyter_server",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.root_dir={root}",
        f"--IdentityProvider.token={TOKEN}",
        "--ServerApp.jpserver_extensions={'studio': True}",
        "--ServerApp.reraise_server_extension_failures=True",
        "--allow-root",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(f"{base}/studio/api/openapi.json", process, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)


@pytest.fixture
def server_db_url(tmp_path: Path) -> Iterator[str]:
    server_url = os.environ.get(TEST_DB_URL_ENV)
    if not server_url:
        yield f"sqlite:///{tmp_path / 'studio.db'}"
        return
    with fresh_server_database(server_url) as url:
        yield url


@pytest.mark.timeout(240)
def test_the_api_keeps_to_its_document_under_fuzzing(tmp_path: Path, server_db_url: str) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st is not None, "schemathesis's `st` command is missing: install the `test` extra"
    with ExitStack() as stack:
        base = stack.enter_context(jupyter_server(tmp_path, server_db_url))
        started = time.monotonic()
        result = subprocess.run(
            [
                st,
                "run",
                f"{base}/studio/api/openapi.json",
                "--url",
                base,
                "-H",
                f"Authorization: token {TOKEN}",
                "--checks",
                ",".join(CHECKS),
                "--mode",
                "all",
                "--seed",
                str(SEED),
                "--max-examples",
                str(MAX_EXAMPLES),
                "--max-time",
                str(MAX_SECONDS),
                "--workers",
                "1",
                "--no-color",
                "--request-timeout",
                "30",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=MAX_SECONDS + 60,
            check=False,
        )
        elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    print(f"schemathesis took {elapsed:.1f} s\n{output[-3000:]}")
    assert result.returncode == 0, output[-20000:]
