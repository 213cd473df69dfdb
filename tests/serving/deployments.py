"""Endpoints with real models behind them, for the serving process's tests: scikit-learn
models logged in runs of a real tracking store, registered, approved, deployed; and the
helpers that run a serving app in-process or `studio serve` as a process."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import httpx
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from studio.registry.service import RegistryService
from studio.serving.asgi import ServingState, create_app
from studio.serving.service import EndpointService
from studio.tracking.models import save_model

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.serving.settings import ServeSettings

COLUMNS = ["a", "b", "c"]
COEFFICIENTS = np.array([1.0, -2.0, 3.0])


def frame(rows: int, seed: int, low: float = 0.5) -> pd.DataFrame:
    generator = np.random.default_rng(seed)
    return pd.DataFrame(generator.uniform(low, 5.0, size=(rows, 3)), columns=COLUMNS)


@functools.cache
def models() -> dict[str, Any]:
    """Three regressions that answer differently: A and B (primaries), and S, a Box-Cox
    pipeline that scikit-learn refuses to apply to a value <= 0 (a shadow that fails on
    some inputs, made of scikit-learn's own types only)."""
    from sklearn.linear_model import LinearRegression, Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PowerTransformer

    X = frame(80, seed=0)
    y = X.to_numpy() @ COEFFICIENTS + 0.5
    return {
        "A": LinearRegression().fit(X, y),
        "B": Ridge(alpha=50.0).fit(X, y),
        "S": make_pipeline(PowerTransformer(method="box-cox"), LinearRegression()).fit(X, y),
    }


def register_approved(registry: RegistryService, model: Any, name: str) -> str:
    """Log `model` in a run, register it as `name`, approve it; its URI."""
    tracking = registry.tracking
    experiment_id = tracking.get_or_create_experiment("serving").id
    run = tracking.create_run(experiment_id, name="fit")
    with tempfile.TemporaryDirectory() as folder:
        saved = save_model(model, Path(folder) / "model", input_example=frame(3, seed=9))
        tracking.log_artifact(run.id, saved, "model")
    version = registry.register(run.id, name)
    registry.approve(name, version.version)
    return f"models:/{name}/{version.version}"


def register_models(database: Database, config: StudioConfig, prefix: str = "m") -> dict[str, str]:
    """`models()` registered and approved as `<prefix>-a`, `-b`, `-s`; their URIs by name."""
    registry = RegistryService(database, config)
    return {
        name: register_approved(registry, model, f"{prefix}-{name.lower()}")
        for name, model in models().items()
    }


def deploy(
    database: Database,
    config: StudioConfig,
    endpoint: str,
    uris: dict[str, str],
    weights: dict[str, float],
    *,
    shadow: bool = True,
    token: str | None = None,
) -> EndpointService:
    """An endpoint with the primaries of `weights` (of A and B) and, with `shadow`, S."""
    service = EndpointService.from_database(database, config)
    service.create(
        endpoint,
        {name: (uris[name], weight) for name, weight in weights.items()},
        shadows={"S": uris["S"]} if shadow else None,
        capture=1.0,
        task="regression",
        token=token,
    )
    return service


def body(rows: pd.DataFrame) -> dict[str, Any]:
    return {"dataframe_split": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}}


@asynccontextmanager
async def serving(settings: ServeSettings) -> AsyncIterator[tuple[httpx.AsyncClient, ServingState]]:
    """The serving app in this process (its lifespan run as uvicorn runs it) and a client."""
    app: Starlette = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://serving") as client:
            yield client, app.state.serving


def captured_request_ids(artifact_root: str | Path, endpoint: str) -> list[str]:
    """Every primary answer's request id in the endpoint's Parquet capture files."""
    folder = Path(artifact_root) / "capture" / endpoint
    ids: list[str] = []
    for path in sorted(folder.rglob("*.parquet")):
        table = pq.read_table(str(path), columns=["request_id", "shadow"]).to_pydict()
        ids += [
            rid
            for rid, shadow in zip(table["request_id"], table["shadow"], strict=True)
            if not shadow
        ]
    return ids


def start_serve(
    config: StudioConfig, endpoint: str, *args: str, log: Path
) -> tuple[subprocess.Popen[bytes], int]:
    """`studio serve ENDPOINT` as a process of its own session (as JupyterLab starts it), on
    a free port; `wait_ready` before sending traffic, `stop_serve` at the end."""
    port = _free_port()
    environment = {**os.environ, **config.environment()}
    with log.open("ab") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "studio.serving.serve_cli",
                endpoint,
                "--port",
                str(port),
                *args,
            ],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, port


def wait_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"studio serve exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"studio serve did not answer /ping in time:\n{log.read_text()}")


def stop_serve(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to its process group (unless it ended already), SIGKILL if it hangs."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def post_rows(
    ports: list[int], bodies: list[bytes], concurrency: int, *, host: str = "127.0.0.1"
) -> list[Answer]:
    """Send each body once over `concurrency` keep-alive connections, connection k to
    `ports[k % len(ports)]` (round robin over replicas), all taking the next body from one
    queue. A lean raw HTTP/1.1 client: httpx costs more CPU than the server on two cores.
    The answers received, in the order of `bodies`; a connection that fails (its server
    stopping) ends quietly, so only acknowledged requests come back."""
    results: list[Answer | None] = [None] * len(bodies)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(len(bodies)):
        queue.put_nowait(index)

    async def connection(port: int) -> None:
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            return
        try:
            while not queue.empty():
                index = queue.get_nowait()
                payload = bodies[index]
                writer.write(
                    (
                        f"POST /invocations HTTP/1.1\r\nHost: {host}\r\n"
                        f"Content-Type: application/json\r\n"
                        f"Content-Length: {len(payload)}\r\n\r\n"
                    ).encode()
                    + payload
                )
                await writer.drain()
                head = (await reader.readuntil(b"\r\n\r\n")).decode()
                lines = head.split("\r\n")
                fields = {
                    line.split(":", 1)[0].lower(): line.split(":", 1)[1].strip()
                    for line in lines[1:]
                    if ":" in line
                }
                answer = await reader.readexactly(int(fields["content-length"]))
                results[index] = Answer(
                    int(lines[0].split()[1]),
                    fields.get("x-variant", ""),
                    fields.get("x-request-id", ""),
                    answer,
                )
        except (OSError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()

    await asyncio.gather(*(connection(ports[k % len(ports)]) for k in range(concurrency)))
    return [result for result in results if result is not None]


class Answer(NamedTuple):
    status: int
    variant: str
    request_id: str
    body: bytes
