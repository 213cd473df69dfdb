"""Fuzz the serving app from its own OpenAPI document (`GET /openapi.json`) with schemathesis:
positive and negative requests to `/invocations` and `/feedback` must never be a server error,
and every answer must keep to the document (status, content type, body schema).

The app runs on uvicorn in a thread of this process (what is under test is the app, not the
process: tests/serving/test_replicas.py starts real ones), with real registered models."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.serving.asgi import create_app
from studio.serving.settings import ServeSettings
from tests.databases import fresh_database
from tests.serving.deployments import deploy, register_models

CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)
SEED = 20261130
MAX_EXAMPLES = 15


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    with fresh_database(str(tmp_path / "studio.db"), migrated=True) as url:
        config = StudioConfig(home=tmp_path / "home", db_url=url, artifact_root=str(tmp_path / "a"))
        database = Database(url)
        deploy(database, config, "fuzzed", register_models(database, config), {"A": 1.0, "B": 1.0})
        settings = ServeSettings(
            endpoint="fuzzed", studio=config, max_rows=50, max_body_bytes=65536
        )
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=0, log_level="warning")
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 60
            while not server.started:
                assert thread.is_alive(), "uvicorn stopped while starting"
                assert time.monotonic() < deadline, "uvicorn did not start"
                time.sleep(0.05)
            port = server.servers[0].sockets[0].getsockname()[1]
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=40)
            database.dispose()


@pytest.mark.timeout(180)
def test_invocations_never_answer_a_server_error(served: str, tmp_path: Path) -> None:
    st = shutil.which("st", path=str(Path(sys.executable).parent)) or shutil.which("st")
    assert st is not None, "schemathesis's `st` command is missing: install the `test` extra"
    result = subprocess.run(
        [
            st,
            "run",
            f"{served}/openapi.json",
            "--url",
            served,
            "--include-path-regex",
            "^/(invocations|feedback)$",
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
        timeout=150,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "/invocations" in output
