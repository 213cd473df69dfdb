"""Studio's half of "POST to completed" in `bench_jobs.py`: `POST /studio/api/jobs/runs` on a
real `jupyter server` with Studio (its scheduler inside, at the app's defaults) until `GET
.../runs/{id}` answers SUCCEEDED; and the rounds that alternate it with jupyter-scheduler."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from harness import BenchError, HttpClient
from jobs_peer import POLL_S, time_peer_job
from jobs_studio import PARAMETERS, job_service, run_job
from studio_side import studio_server

from studio.jobs.local_executor import LocalExecutor
from studio.jobs.scheduler import Scheduler

TimeOne = Callable[[], float]

_RUNS = "/studio/api/jobs/runs"


@contextmanager
def studio_rest_job(home: Path, notebook: Path) -> Iterator[tuple[TimeOne, str]]:
    """A function timing one Studio job from POST to SUCCEEDED, and how it is timed. Where the
    server has no jobs routes (an older checkout), the same job through the Python API and an
    in-process scheduler, and the description says so."""
    shutil.copy(notebook, home / notebook.name)
    with studio_server(home, f"sqlite:///{home / 'studio.db'}") as (_, client):
        status, _ = client.request(f"{_RUNS}?max_results=1")
        if status == 200:
            description = (
                f"`POST {_RUNS}` on `jupyter server` with Studio (its scheduler inside, at "
                f"the app's defaults) to `GET {_RUNS}/{{id}}` answering SUCCEEDED"
            )
            yield (lambda: _time_rest_job(client, notebook.name)), description
            return
    with _in_process_jobs(home / "api") as time_one:
        description = (
            "no jobs routes in this checkout, so the Python API instead: `JobService.submit` "
            "then the scheduler woken, until it completed the run (in this process)"
        )
        yield (lambda: time_one(notebook)), description


def _time_rest_job(client: HttpClient, notebook: str, timeout_s: float = 120.0) -> float:
    started = time.perf_counter()
    created = client.send_json("POST", _RUNS, {"notebook_path": notebook, "parameters": PARAMETERS})
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        job_run = client.get_json(f"{_RUNS}/{created['id']}")
        if job_run["status"] == "SUCCEEDED":
            return time.perf_counter() - started
        if job_run["status"] not in ("QUEUED", "RUNNING"):
            raise BenchError(f"The Studio job ended {job_run['status']}: {job_run.get('error')}")
        time.sleep(POLL_S)
    raise BenchError("The Studio job did not succeed in time")


@contextmanager
def _in_process_jobs(home: Path) -> Iterator[Callable[[Path], float]]:
    """A scheduler on its own event loop in a thread, as in the server."""
    home.mkdir(parents=True, exist_ok=True)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        with job_service(home) as service:
            scheduler = Scheduler(service, LocalExecutor())
            loop.call_soon_threadsafe(scheduler.start)

            def time_one(notebook: Path) -> float:
                future = asyncio.run_coroutine_threadsafe(
                    run_job(service, scheduler, notebook, "api"), loop
                )
                return future.result().seconds

            try:
                yield time_one
            finally:
                asyncio.run_coroutine_threadsafe(scheduler.stop(), loop).result()
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def time_both_servers(
    peer_client: HttpClient, notebook: str, studio_time: TimeOne, repeats: int
) -> tuple[list[float], list[float]]:
    """Alternating rounds (the order turns each round); the first is a warm-up of each."""
    peer_times: list[float] = []
    studio_times: list[float] = []
    sides: list[tuple[list[float], TimeOne]] = [
        (peer_times, lambda: time_peer_job(peer_client, notebook)),
        (studio_times, studio_time),
    ]
    for round_ in range(repeats + 1):
        for samples, measure in sides[round_ % 2 :] + sides[: round_ % 2]:
            elapsed = measure()
            if round_ > 0:
                samples.append(elapsed)
    return peer_times, studio_times
