"""Fuzz the whole REST API from its own OpenAPI document with schemathesis.

A real Jupyter server with Studio runs in a subprocess on a free loopback port, its store from
this folder's `database_url` fixture (SQLite in tmp_path, or a fresh database on the PostgreSQL
server that STUDIO_TEST_DB_URL names), and schemathesis's `st` command generates positive and
negative requests for every operation the document lists. Each answer must be no server error
and must match the document: its status, its content type and its body's schema. A fixed seed
and a bounded number of examples keep the run deterministic and short.

jupyter_server's own answers are not the document's to describe: a missing token is a 403 (not
the 401 the `ignored_auth` check wants) and TRACE is a 405, so the checks run here are the four
that hold the document to what the server does.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
SEED = 20261129
# Per operation: the document lists about 80 (tracking, debugger, jobs, registry, endpoints).
MAX_EXAMPLES = 20
# A hard stop far above the run's usual time: `make test` allows two minutes per database.
MAX_SECONDS = 200
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


SEEDED_RUN = "seededrun"
SEEDED_ARTIFACTS = ("notes.txt", "model/weights.bin", "plots/loss.png")
# Operations that read (or add to) the seeded run are given its id, keys and artifact paths
# most of the time: random ids only ever reach a 404, and the answers worth checking (a
# download, a paged history, a run with NaN values) need something stored. Deletions are left
# to random ids, so that the seeded run lasts the whole run.
CONFIG = f"""
[dictionaries.runs]
values = ["{SEEDED_RUN}"]

[dictionaries.paths]
values = {json.dumps(["", "model", *SEEDED_ARTIFACTS])}

[dictionaries.keys]
values = ["loss", "acc", "nan"]

[[operations]]
include-operation-id-regex = "^(get|list|update|log|download|upload)"
parameters = {{ "path.run_id" = {{ dictionary = "runs", probability = 0.7 }}, \
"query.path" = {{ dictionary = "paths", probability = 0.7 }}, \
"query.key" = {{ dictionary = "keys", probability = 0.7 }} }}
"""


def api(base: str, method: str, route: str, body: Any = None, **query: str) -> Any:
    """One authenticated call of the API under test (for seeding it)."""
    url = f"{base}/studio/api/{route}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    data = body if isinstance(body, bytes) else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def seed(base: str) -> None:
    """A finished run with params, tags, metric points (NaN, repeated steps) and artifacts."""
    points = [{"key": "loss", "value": 1 / (1 + i), "step": i // 2} for i in range(300)]
    points += [{"key": "nan", "value": "NaN", "step": 0}, {"key": "acc", "value": 0.5}]
    api(
        base,
        "POST",
        "runs",
        {
            "experiment_name": "seeded",
            "run_id": SEEDED_RUN,
            "params": {"depth": 3},
            "tags": {"team": "a"},
            "metrics": points,
            "status": "FINISHED",
            "start_time": 1000,
            "end_time": 5000,
        },
    )
    for path in SEEDED_ARTIFACTS:
        api(base, "PUT", f"runs/{SEEDED_RUN}/artifacts/content", path.encode(), path=path)


@pytest.mark.timeout(290)
def test_the_api_keeps_to_its_document_under_fuzzing(tmp_path: Path, database_url: str) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st is not None, "schemathesis's `st` command is missing: install the `test` extra"
    with jupyter_server(tmp_path, database_url) as base:
        seed(base)
        (tmp_path / "schemathesis.toml").write_text(CONFIG)
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
                "--workers",
                "1",
                "--no-color",
                "--request-timeout",
                "30",
            ],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=MAX_SECONDS,
            check=False,
        )
        elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    print(f"schemathesis took {elapsed:.1f} s\n{output[-3000:]}")
    assert result.returncode == 0, output[-20000:]
