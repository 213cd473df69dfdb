"""The jobs' REST routes (/studio/api/jobs/...) against a real Jupyter server, without running
notebooks: definitions, job runs, logs, outputs, the dialog's helpers, the summary and the
authorization of each. On SQLite, and on PostgreSQL where STUDIO_TEST_DB_URL names a server."""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import pytest
from jupyter_server.auth import Authorizer

from studio.jobs.entities import JobStatus
from tests.jobs.notebooks import write_notebook

if TYPE_CHECKING:
    from pathlib import Path

    from jupyter_server.serverapp import ServerApp
    from traitlets.config import Config

    from studio.jobs.service import JobService
    from tests.conftest import StudioFetch

REFUSED_ACTION = "X-Studio-Test-Refuse"


class RefuseActionOnHeader(Authorizer):
    """Refuses, on "studio.jobs", the actions the REFUSED_ACTION header lists."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        refused = handler.request.headers.get(REFUSED_ACTION, "").split(",")
        return not (resource == "studio.jobs" and action in refused)


@pytest.fixture
def jp_server_config(jp_server_config: Config) -> Config:
    jp_server_config.ServerApp.authorizer_class = RefuseActionOnHeader
    # Queued runs stay queued: these tests run no notebook.
    jp_server_config.StudioApp.scheduler_enabled = False
    return jp_server_config


@pytest.fixture
def jobs(jp_serverapp: ServerApp) -> JobService:
    service: JobService = jp_serverapp.web_app.settings["studio_jobs"]
    return service


@pytest.fixture
def notebook(jp_root_dir: Path) -> str:
    """A notebook in the server's root, by its relative path."""
    write_notebook(
        jp_root_dir / "work" / "train.ipynb",
        ["print(alpha)"],
        parameters="alpha: float = 0.1  # learning rate\nname = 'x'\nsteps = 2 * 3",
    )
    return "work/train.ipynb"


async def post(fetch: StudioFetch, route: str, body: Any = None) -> Any:
    answer = await fetch("POST", f"jobs/{route}", body=body)
    assert answer.code in (200, 201), (route, answer.code, answer.json)
    return answer.json


async def get(fetch: StudioFetch, route: str, **params: Any) -> Any:
    answer = await fetch("GET", f"jobs/{route}", params=params or None)
    assert answer.code == 200, (route, answer.code, answer.json)
    return answer.json


async def test_definitions_are_created_read_changed_and_deleted(
    studio_fetch: StudioFetch, notebook: str
) -> None:
    created = await studio_fetch(
        "POST",
        "jobs/definitions",
        body={
            "name": "nightly",
            "notebook_path": notebook,
            "parameters": {"alpha": 0.5},
            "schedule": "0 2 * * *",
            "timezone": "Europe/Paris",
            "timeout": 60,
            "secret_environment": {"API_KEY": "SERVER_KEY"},
        },
    )
    assert created.code == 201, created.json
    made = created.json
    assert made["notebook_path"] == notebook  # relative on the wire
    assert made["schedule_description"] == "At 02:00"
    assert made["next_run_at"] > made["created_at"]
    assert made["secret_environment"] == {"API_KEY": "SERVER_KEY"}
    assert (made["experiment"], made["missed"], made["keep_outputs"]) == ("nightly", "run_once", 50)
    assert made["last_status"] is None
    key = made["id"]
    assert await get(studio_fetch, f"definitions/{key}") == made

    same_name = await studio_fetch(
        "POST", "jobs/definitions", body={"name": "nightly", "notebook_path": notebook}
    )
    same_name.error(409, "nightly")

    answer = await studio_fetch(
        "PATCH", f"jobs/definitions/{key}", body={"schedule": None, "retries": 2}
    )
    assert answer.code == 200, answer.json
    changed = answer.json
    assert (changed["schedule"], changed["next_run_at"], changed["retries"]) == (None, None, 2)
    assert changed["timeout"] == 60  # left out: kept
    changed = (
        await studio_fetch("PATCH", f"jobs/definitions/{key}", body={"schedule": "@hourly"})
    ).json
    assert changed["schedule_description"] == "Every hour"

    paused = await post(studio_fetch, f"definitions/{key}/pause")
    assert (paused["active"], paused["next_run_at"]) == (False, None)
    resumed = await post(studio_fetch, f"definitions/{key}/resume")
    assert resumed["active"]
    assert resumed["next_run_at"] is not None
    refreshed = await post(studio_fetch, f"definitions/{key}/refresh")
    assert refreshed["snapshot_at"] >= made["snapshot_at"]

    run = await post(studio_fetch, f"definitions/{key}/runs", {"parameters": {"name": "y"}})
    assert (run["definition_id"], run["trigger"], run["status"]) == (key, "manual", "QUEUED")
    assert run["parameters"] == {"alpha": 0.5, "name": "y"}
    assert run["notebook_path"] == notebook

    assert (await studio_fetch("DELETE", f"jobs/definitions/{key}")).code == 204
    (await studio_fetch("GET", f"jobs/definitions/{key}")).error(404, str(key))
    # Its run stays, without it.
    kept = await get(studio_fetch, f"runs/{run['id']}")
    assert kept["definition_id"] is None


async def test_definitions_page_and_filter(studio_fetch: StudioFetch, notebook: str) -> None:
    for name in ("a-train", "b-eval", "c-train"):
        await post(studio_fetch, "definitions", {"name": name, "notebook_path": notebook})
    await post(studio_fetch, "definitions/2/pause")
    first = await get(studio_fetch, "definitions", max_results=2)
    assert [d["name"] for d in first["definitions"]] == ["a-train", "b-eval"]
    assert first["total"] == 3
    second = await get(
        studio_fetch, "definitions", max_results=2, page_token=first["next_page_token"]
    )
    assert [d["name"] for d in second["definitions"]] == ["c-train"]
    assert second["next_page_token"] is None
    found = await get(studio_fetch, "definitions", q="TRAIN", active="true")
    assert [d["name"] for d in found["definitions"]] == ["a-train", "c-train"]
    paused = await get(studio_fetch, "definitions", active="false")
    assert [d["name"] for d in paused["definitions"]] == ["b-eval"]
    (await studio_fetch("GET", "jobs/definitions", params={"max_results": 0})).error(
        422, "max_results"
    )
    (await studio_fetch("GET", "jobs/definitions", params={"page_token": "nope"})).error(
        400, "page_token"
    )


async def test_bad_definitions_are_4xx_never_500(
    studio_fetch: StudioFetch, notebook: str, jp_root_dir: Path, tmp_path: Path
) -> None:
    outside = write_notebook(tmp_path / "outside" / "secret.ipynb", ["1"])
    (jp_root_dir / "link.ipynb").symlink_to(outside)
    (jp_root_dir / "linked").symlink_to(outside.parent)

    async def refused(code: int, body: Any, *fragments: str) -> None:
        answer = await studio_fetch("POST", "jobs/definitions", body=body)
        answer.error(code, *fragments)

    base = {"name": "bad", "notebook_path": notebook}
    await refused(400, b"", "body is missing")
    await refused(400, b"{nope", "not valid JSON")
    await refused(422, {"notebook_path": notebook}, "body.name")
    await refused(422, {**base, "retries": 99}, "body.retries")
    await refused(422, {**base, "timeout": -1}, "body.timeout")
    await refused(422, {**base, "missed": "sometimes"}, "body.missed")
    await refused(422, {**base, "surprise": 1}, "body.surprise")
    await refused(400, {**base, "schedule": "61 * * * *"}, "not a valid cron")
    await refused(400, {**base, "schedule": "* * * *"}, "4 fields")
    await refused(400, {**base, "timezone": "Mars/Olympus"}, "Unknown time zone")
    await refused(400, {**base, "parameters": {"not a name": 1}}, "not a Python identifier")
    await refused(400, {**base, "notebook_path": "../outside/secret.ipynb"}, "out of the server")
    await refused(400, {**base, "notebook_path": "link.ipynb"}, "out of the server")
    await refused(400, {**base, "notebook_path": "linked/secret.ipynb"}, "out of the server")
    await refused(400, {**base, "notebook_path": str(outside)}, "relative")
    await refused(404, {**base, "notebook_path": "work/missing.ipynb"}, "No notebook")
    (jp_root_dir / "work" / "notes.txt").write_text("hello")
    await refused(400, {**base, "notebook_path": "work/notes.txt"}, "not a notebook")
    assert (await get(studio_fetch, "definitions"))["total"] == 0

    for method, path, body in (
        ("GET", "definitions/abc", None),
        ("GET", "definitions/99", None),
        ("PATCH", "definitions/99", {"retries": 1}),
        ("DELETE", "definitions/99", None),
        ("POST", "definitions/99/pause", None),
        ("POST", "definitions/99/runs", {}),
        ("GET", "runs/99", None),
        ("GET", "runs/99999999999999999999", None),
        ("POST", "runs/99/cancel", None),
        ("POST", "runs/99/rerun", {}),
        ("GET", "runs/99/log", None),
        ("GET", "runs/99/outputs/output.ipynb", None),
        ("POST", "runs/99/outputs/open", None),
    ):
        answer = await studio_fetch(method, f"jobs/{path}", body=body)
        answer.error(404)


async def test_runs_are_queued_listed_cancelled_rerun_and_deleted(
    studio_fetch: StudioFetch, notebook: str, jobs: JobService
) -> None:
    first = await post(
        studio_fetch,
        "runs",
        {"notebook_path": notebook, "parameters": {"alpha": 1}, "timeout": 30, "retries": 1},
    )
    assert first["status"] == "QUEUED"
    assert (first["name"], first["trigger"], first["notebook_path"]) == ("train", "api", notebook)
    assert (first["timeout"], first["retries"], first["outputs"]) == (30, 1, [])
    assert first["run_id"] is None
    assert first["duration_ms"] is None
    assert first["progress"] == {
        "cells_done": 0,
        "cells_total": 0,
        "current_cell": None,
        "cell_started_at": None,
    }
    second = await post(
        studio_fetch, "runs", {"notebook_path": notebook, "trigger": "manual", "name": "by hand"}
    )
    third = await post(studio_fetch, "runs", {"notebook_path": notebook})

    listed = await get(studio_fetch, "runs", max_results=2)
    assert [r["id"] for r in listed["runs"]] == [third["id"], second["id"]]  # newest first
    assert listed["total"] == 3
    rest = await get(studio_fetch, "runs", max_results=2, page_token=listed["next_page_token"])
    assert [r["id"] for r in rest["runs"]] == [first["id"]]
    assert rest["next_page_token"] is None
    manual = await get(studio_fetch, "runs", trigger="manual")
    assert [r["name"] for r in manual["runs"]] == ["by hand"]

    cancelled = await post(studio_fetch, f"runs/{first['id']}/cancel")
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["ended_at"] is not None
    again = await studio_fetch("POST", f"jobs/runs/{first['id']}/cancel")
    again.error(409, "already ended")
    answer = await studio_fetch(
        "GET", "jobs/runs", params=[("status", "CANCELLED"), ("status", "FAILED")]
    )
    assert [r["id"] for r in answer.json["runs"]] == [first["id"]]
    (await studio_fetch("GET", "jobs/runs", params={"status": "DONE"})).error(422, "status")

    rerun = await post(studio_fetch, f"runs/{first['id']}/rerun", {"parameters": {"alpha": 2}})
    assert (rerun["parameters"], rerun["trigger"], rerun["status"]) == (
        {"alpha": 2},
        "manual",
        "QUEUED",
    )
    (await studio_fetch("POST", f"jobs/runs/{first['id']}/rerun", body={"x": 1})).error(422)

    (await studio_fetch("DELETE", f"jobs/runs/{second['id']}")).error(409, "cancel it first")
    assert (await studio_fetch("DELETE", f"jobs/runs/{first['id']}")).code == 204
    (await studio_fetch("GET", f"jobs/runs/{first['id']}")).error(404)
    assert jobs.get_run(second["id"]).status is JobStatus.QUEUED


async def test_log_and_outputs_of_a_run(
    studio_fetch: StudioFetch, notebook: str, jobs: JobService, jp_root_dir: Path, tmp_path: Path
) -> None:
    queued = await post(studio_fetch, "runs", {"notebook_path": notebook, "name": "a/../b"})
    key = queued["id"]
    assert await get(studio_fetch, f"runs/{key}/log") == {"text": "", "offset": 0, "done": False}
    (await studio_fetch("GET", f"jobs/runs/{key}/outputs/output.ipynb")).error(404, "no outputs")
    # What the runner leaves in a run's folder.
    folder = tmp_path / "outputs" / str(key)
    folder.mkdir(parents=True)
    (folder / "output.ipynb").write_text((jp_root_dir / notebook).read_text())
    (folder / "output.html").write_text("<html><body>done</body></html>")
    (folder / "job.log").write_text("line one\nline two é\n", encoding="utf-8")
    jobs.store.set_started(key, output_dir=str(folder))

    shown = await get(studio_fetch, f"runs/{key}")
    assert shown["outputs"] == ["output.ipynb", "output.html", "job.log"]
    head = await get(studio_fetch, f"runs/{key}/log", limit=9)
    assert head == {"text": "line one\n", "offset": 9, "done": False}
    tail = await get(studio_fetch, f"runs/{key}/log", offset=9)
    assert tail["text"] == "line two é\n"
    assert not tail["done"]
    (await studio_fetch("GET", f"jobs/runs/{key}/log", params={"offset": -1})).error(422)

    html = await studio_fetch("GET", f"jobs/runs/{key}/outputs/output.html")
    assert html.code == 200
    assert html.body == b"<html><body>done</body></html>"
    assert html.headers["Content-Type"].startswith("text/html")
    assert html.headers["Content-Disposition"].startswith("attachment")
    executed = await studio_fetch("GET", f"jobs/runs/{key}/outputs/output.ipynb")
    assert json.loads(executed.body)["cells"][0]["metadata"]["tags"] == ["parameters"]
    assert executed.headers["Content-Type"] == "application/x-ipynb+json"
    log = await studio_fetch("GET", f"jobs/runs/{key}/outputs/job.log")
    assert log.headers["Content-Type"].startswith("text/plain")
    (await studio_fetch("GET", f"jobs/runs/{key}/outputs/secret.txt")).error(404, "no output")
    (await studio_fetch("GET", f"jobs/runs/{key}/outputs/..%2F..%2Fetc")).error(404)

    opened = await post(studio_fetch, f"runs/{key}/outputs/open")
    assert opened["path"] == f"job-outputs/a_.._b/{key}/train.ipynb"
    copy = jp_root_dir / opened["path"]
    assert copy.read_bytes() == (folder / "output.ipynb").read_bytes()
    copy.write_text("edited")  # newer than the run's notebook: kept
    assert (await post(studio_fetch, f"runs/{key}/outputs/open")) == opened
    assert copy.read_text() == "edited"

    await post(studio_fetch, f"runs/{key}/cancel")
    ended = await get(studio_fetch, f"runs/{key}/log", offset=9)
    assert ended["done"]


async def test_outputs_are_never_copied_out_of_the_root(
    studio_fetch: StudioFetch, notebook: str, jobs: JobService, jp_root_dir: Path, tmp_path: Path
) -> None:
    queued = await post(studio_fetch, "runs", {"notebook_path": notebook})
    folder = tmp_path / "outputs"
    folder.mkdir()
    (folder / "output.ipynb").write_text("{}")
    jobs.store.set_started(queued["id"], output_dir=str(folder))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (jp_root_dir / "job-outputs").symlink_to(elsewhere)
    answer = await studio_fetch("POST", f"jobs/runs/{queued['id']}/outputs/open")
    answer.error(400, "out of the server")
    assert not any(elsewhere.iterdir())


async def test_notebook_schedule_and_summary(
    studio_fetch: StudioFetch, notebook: str, jobs: JobService
) -> None:
    info = await get(studio_fetch, "notebook", path=notebook)
    assert info["path"] == notebook
    assert info["kernel_name"] == "python3"
    assert info["parameters"] == [
        {"name": "alpha", "default": "0.1", "value": 0.1, "type": "float", "help": "learning rate"},
        {"name": "name", "default": "'x'", "value": "x", "type": None, "help": ""},
        {"name": "steps", "default": "2 * 3", "value": None, "type": None, "help": ""},
    ]
    assert "python3" in [kernel["name"] for kernel in info["kernels"]]
    (await studio_fetch("GET", "jobs/notebook", params={"path": "../x.ipynb"})).error(400)
    (await studio_fetch("GET", "jobs/notebook", params={"path": "none.ipynb"})).error(404)
    (await studio_fetch("GET", "jobs/notebook")).error(422, "path")

    preview = await get(studio_fetch, "schedule", cron="30  9 * * mon-fri", count=3)
    assert preview["cron"] == "30 9 * * mon-fri"
    assert preview["timezone"] == "UTC"
    assert "09:30" in preview["description"]
    assert "Monday through Friday" in preview["description"]
    assert len(preview["next"]) == 3
    assert preview["next"] == sorted(preview["next"])
    assert all(moment % (24 * 3600_000) == (9 * 60 + 30) * 60_000 for moment in preview["next"])
    (await studio_fetch("GET", "jobs/schedule", params={"cron": "every day"})).error(400, "fields")
    answer = await studio_fetch("GET", "jobs/schedule", params={"cron": "@daily", "timezone": "X"})
    answer.error(400, "time zone")
    (await studio_fetch("GET", "jobs/schedule", params={"cron": "@daily", "count": 0})).error(422)

    empty = await get(studio_fetch, "summary")
    assert empty == {"running": [], "queued": 0, "next": [], "schedulers": []}
    for name, schedule in (("later", "0 3 * * *"), ("sooner", "* * * * *"), ("never", None)):
        await post(
            studio_fetch,
            "definitions",
            {"name": name, "notebook_path": notebook, "schedule": schedule},
        )
    run = await post(studio_fetch, "runs", {"notebook_path": notebook})
    await post(studio_fetch, "runs", {"notebook_path": notebook})
    claimed = jobs.store.claim_queued("test-scheduler", "here", 1, jobs.clock())
    assert [r.id for r in claimed] == [run["id"]]
    jobs.store.beat_scheduler("test-scheduler", "here", os.getpid(), "local", jobs.clock())
    summary = await get(studio_fetch, "summary")
    assert [r["id"] for r in summary["running"]] == [run["id"]]
    assert summary["running"][0]["status"] == "RUNNING"
    assert summary["running"][0]["duration_ms"] >= 0
    assert summary["queued"] == 1
    assert [d["name"] for d in summary["next"]] == ["sooner", "later"]
    assert summary["next"][0]["schedule_description"] == "Every minute"
    assert [(s["id"], s["executor"]) for s in summary["schedulers"]] == [
        ("test-scheduler", "local")
    ]


async def test_starting_jobs_is_execute_and_changing_them_write(
    studio_fetch: StudioFetch, notebook: str, jobs: JobService
) -> None:
    """A deployment may let users read job runs but not start any (starting runs code)."""
    created = await post(studio_fetch, "definitions", {"name": "d", "notebook_path": notebook})
    run = await post(studio_fetch, "runs", {"notebook_path": notebook})
    no_execute = {REFUSED_ACTION: "execute"}
    read_only = {REFUSED_ACTION: "write,execute"}
    for headers in (no_execute, read_only):
        for path, body in (
            ("runs", {"notebook_path": notebook}),
            (f"definitions/{created['id']}/runs", {}),
            (f"runs/{run['id']}/rerun", {}),
        ):
            answer = await studio_fetch("POST", f"jobs/{path}", body=body, headers=headers)
            answer.error(403, "not authorized")
    assert jobs.list_runs()[1] == 1
    # A definition decides what the server runs (its schedule starts runs): making, changing,
    # resuming or refreshing one is execute too. Pausing, deleting and cancelling are write.
    paused = await post(studio_fetch, f"definitions/{created['id']}/pause", None)
    assert paused["active"] is False
    for method, path, body in (
        ("POST", "definitions", {"name": "e", "notebook_path": notebook, "schedule": "* * * * *"}),
        ("PATCH", f"definitions/{created['id']}", {"schedule": "* * * * *"}),
        ("POST", f"definitions/{created['id']}/resume", None),
        ("POST", f"definitions/{created['id']}/refresh", None),
    ):
        answer = await studio_fetch(method, f"jobs/{path}", body=body, headers=no_execute)
        answer.error(403, "not authorized")
    assert jobs.list_definitions()[1] == 1
    assert jobs.get_definition(created["id"]).schedule is None
    for method, path in (
        ("POST", f"definitions/{created['id']}/pause"),
        ("POST", f"runs/{run['id']}/cancel"),
    ):
        answer = await studio_fetch(method, f"jobs/{path}", headers=no_execute)
        assert answer.code == 200, (path, answer.json)
    run = await post(studio_fetch, "runs", {"notebook_path": notebook})
    writes: tuple[tuple[str, str, Any], ...] = (
        ("POST", "definitions", {"name": "f", "notebook_path": notebook}),
        ("PATCH", f"definitions/{created['id']}", {"retries": 1}),
        ("POST", f"definitions/{created['id']}/pause", None),
        ("DELETE", f"definitions/{created['id']}", None),
        ("POST", f"runs/{run['id']}/cancel", None),
        ("DELETE", f"runs/{run['id']}", None),
    )
    for method, path, body in writes:
        answer = await studio_fetch(method, f"jobs/{path}", body=body, headers=read_only)
        answer.error(403, "not authorized")
    assert jobs.get_run(run["id"]).status is JobStatus.QUEUED
    # Reading stays allowed.
    for path in ("runs", f"runs/{run['id']}", f"runs/{run['id']}/log", "summary", "definitions"):
        answer = await studio_fetch("GET", f"jobs/{path}", headers=read_only)
        assert answer.code == 200, (path, answer.json)


async def test_a_notebook_papermill_could_not_read_is_a_400(
    studio_fetch: StudioFetch, jp_root_dir: Path
) -> None:
    strange = {
        "v3.ipynb": {"cells": [], "metadata": {}, "nbformat": 3, "nbformat_minor": 0},
        "cell.ipynb": {"cells": [1], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
        "meta.ipynb": {"cells": [], "metadata": [], "nbformat": 4, "nbformat_minor": 5},
        "kernel.ipynb": {
            "cells": [],
            "metadata": {"kernelspec": "python3"},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
    }
    for name, content in strange.items():
        (jp_root_dir / name).write_text(json.dumps(content))
        answer = await studio_fetch("GET", "jobs/notebook", params={"path": name})
        answer.error(400, "notebook")
        answer = await studio_fetch("POST", "jobs/runs", body={"notebook_path": name})
        answer.error(400, "notebook")
