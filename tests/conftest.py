"""Fixtures shared by every test: a Jupyter server running Studio on a throwaway store.

pytest-jupyter's `jp_environ` points the Jupyter config, data, runtime and home folders at the
test's tmp_path, so no test reads or writes the user's. The server loads Studio through its
real entry point (`studio._jupyter_server_extension_points`), with the artifact root in
tmp_path too and the database there as well, or on the PostgreSQL server that
`STUDIO_TEST_DB_URL` names (tests/databases.py).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from tornado.httpclient import HTTPClientError
from tornado.routing import PathMatches, Router
from tornado.web import Application, RequestHandler
from traitlets.config import Config

from studio.config import (
    ARTIFACT_ROOT_ENV,
    DB_URL_ENV,
    HOME_ENV,
    RUN_ID_ENV,
    SQLITE_SYNCHRONOUS_ENV,
    TOKEN_ENV,
    TRACKING_URI_ENV,
)
from studio.db.engine import Database
from tests.databases import fresh_database

if TYPE_CHECKING:
    from jupyter_server.serverapp import ServerApp

    from studio.tracking.service import TrackingService

pytest_plugins = ("pytest_jupyter.jupyter_server",)

STUDIO_ENV = (
    HOME_ENV,
    DB_URL_ENV,
    ARTIFACT_ROOT_ENV,
    TRACKING_URI_ENV,
    TOKEN_ENV,
    RUN_ID_ENV,
    SQLITE_SYNCHRONOUS_ENV,
)


@pytest.fixture
def studio_home(tmp_path: Path) -> Path:
    return tmp_path / "studio-home"


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a new database: an empty SQLite file, or where STUDIO_TEST_DB_URL says a
    PostgreSQL database with Studio's schema (tests/db's own fixture: an empty one)."""
    with fresh_database(str(tmp_path / "studio.db"), migrated=True) as url:
        yield url


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """A `Database` on `database_url`, disposed of afterwards."""
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def studio_db_url(tmp_path: Path) -> Iterator[str]:
    """The server's database: another new one, so a test may also have a store of its own."""
    with fresh_database(str(tmp_path / "server" / "studio.db"), migrated=True) as url:
        yield url


@pytest.fixture
def studio_artifact_root(tmp_path: Path) -> Path:
    return tmp_path / "server" / "artifacts"


@pytest.fixture
def studio_clean_environment() -> Iterator[None]:
    """No STUDIO_* variable during the test, and the caller's back afterwards: the extension
    exports its locations into os.environ for the kernels it starts."""
    saved = {name: os.environ.pop(name) for name in STUDIO_ENV if name in os.environ}
    try:
        yield
    finally:
        for name in STUDIO_ENV:
            os.environ.pop(name, None)
        os.environ.update(saved)


@pytest.fixture
def jp_server_config(
    studio_clean_environment: None,
    studio_home: Path,
    studio_db_url: str,
    studio_artifact_root: Path,
) -> Config:
    return Config(
        {
            "ServerApp": {
                "jpserver_extensions": {"studio": True},
                # A Studio that fails to load must fail the test, not log a warning.
                "reraise_server_extension_failures": True,
            },
            "StudioApp": {
                "home": str(studio_home),
                "db_url": studio_db_url,
                "artifact_root": str(studio_artifact_root),
            },
        }
    )


@dataclass
class Answer:
    """An HTTP answer as a test sees it: status, headers and the body (JSON decoded)."""

    code: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def error(self, code: int, *fragments: str) -> str:
        """Assert a JSON error envelope with this status whose message holds every fragment;
        returns the message."""
        assert self.code == code, (self.code, self.body)
        assert self.headers["Content-Type"].startswith("application/json")
        envelope = self.json
        assert set(envelope) >= {"message", "reason"}, envelope
        message: str = envelope["message"]
        for fragment in fragments:
            assert fragment in message, envelope
        return message


StudioFetch = Callable[..., Awaitable[Answer]]


@pytest.fixture
def studio_fetch(jp_fetch: Callable[..., Awaitable[Any]]) -> StudioFetch:
    """`await studio_fetch("POST", "runs", body={...}, params={...})` on /studio/api/...;
    error answers are returned, not raised. A dict/list body is sent as JSON, bytes as is."""

    async def fetch(
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        if body is None and method in ("POST", "PUT", "PATCH"):
            body = b""
        elif isinstance(body, dict | list):
            body = json.dumps(body)
        kwargs = {} if body is None else {"body": body}
        try:
            response = await jp_fetch(
                "studio/api", path, method=method, params=params, headers=headers, **kwargs
            )
        except HTTPClientError as exc:
            response = exc.response
            if response is None:  # no answer at all (a timeout): not what these tests check
                raise
        return Answer(response.code, dict(response.headers), response.body or b"")

    return fetch


StudioCreate = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


@pytest.fixture
def studio_create(studio_fetch: StudioFetch) -> StudioCreate:
    """`await studio_create("runs", {...})`: POST, assert 201, return the created object."""

    async def create(path: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = await studio_fetch("POST", path, body=body)
        assert answer.code == 201, answer.json
        created: dict[str, Any] = answer.json
        return created

    return create


@pytest.fixture
def studio_tracking(jp_serverapp: ServerApp) -> TrackingService:
    """The running server's own TrackingService, to check what the API stored."""
    service: TrackingService = jp_serverapp.web_app.settings["studio_tracking"]
    return service


@dataclass(frozen=True)
class RegisteredRoute:
    """A route as the running server registered it (not as the code meant to)."""

    pattern: str  # the regular expression, without the server's base_url
    handler: type[RequestHandler]

    @property
    def template(self) -> str:
        """The path with `{name}` for each named group: /studio/api/runs/{run_id}."""
        template = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", self.pattern)
        return re.sub(r"\\(.)", r"\1", template)  # undo re.escape of the literal parts

    def sample_path(self, value: str = "1") -> str:
        return re.sub(r"\\(.)", r"\1", re.sub(r"\(\?P<\w+>[^)]*\)", value, self.pattern))

    @property
    def methods(self) -> list[str]:
        """The HTTP verbs the handler implements. OPTIONS is jupyter_server's CORS preflight,
        answered without authentication on purpose, so it is left out."""
        return [
            method
            for method in RequestHandler.SUPPORTED_METHODS
            if method != "OPTIONS"
            and getattr(self.handler, method.lower()) is not getattr(RequestHandler, method.lower())
        ]


@pytest.fixture
def studio_routes(jp_web_app: Application, jp_base_url: str) -> list[RegisteredRoute]:
    """Every route under /studio/ that the running server would dispatch to."""

    def walk(router: Router) -> Iterator[RegisteredRoute]:
        for rule in getattr(router, "rules", []):
            if isinstance(rule.target, Router):
                yield from walk(rule.target)
            elif isinstance(rule.matcher, PathMatches) and isinstance(rule.target, type):
                pattern = rule.matcher.regex.pattern.removesuffix("$")
                path = "/" + pattern.removeprefix(jp_base_url)
                if path.startswith("/studio/"):
                    yield RegisteredRoute(path, rule.target)

    found = list(walk(jp_web_app.default_router))
    assert found, "the server registered no Studio route"
    return found


@pytest.fixture(scope="session", autouse=True)
def no_endpoint_outlives_the_tests(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`studio serve` processes outlive whoever starts them, on purpose: one a test left
    behind (on its store under this session's temporary folder) is stopped here, and the
    session fails, naming it."""
    yield
    import contextlib
    import signal

    import psutil

    base = str(tmp_path_factory.getbasetemp())
    left: list[str] = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        try:
            if "studio.serving.serve_cli" not in (process.info["cmdline"] or []):
                continue
            environment = process.environ()
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if not environment.get(HOME_ENV, "").startswith(base):
            continue
        left.append(" ".join(process.info["cmdline"]))
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(process.pid), signal.SIGKILL)
    if left:
        pytest.fail(f"Tests left `studio serve` processes running (now killed): {left}")
