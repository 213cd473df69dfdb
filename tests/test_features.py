"""The feature seam: what a package declares is what the app, the store, alembic, the CLI and
the OpenAPI builder use."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import BaseModel
from sqlalchemy import select
from tornado import web

from studio import features
from studio.cli import main as studio_main
from studio.db.engine import Database
from studio.errors import StoreError
from studio.openapi import build_document, endpoint
from studio.tracking.orm import SqlRun
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore
from studio.web import Route, StudioAPIHandler

if TYPE_CHECKING:
    from pathlib import Path

    from jupyter_server.serverapp import ServerApp
    from sqlalchemy.orm import Session


def test_tracking_is_declared_at_the_seam() -> None:
    tracking = features.features()[0]
    assert tracking.name == "tracking"
    assert tracking.auth_resource == "studio.tracking"
    assert {route.path for route in features.routes()} >= {
        "/studio/api/runs",
        "/studio/api/experiments",
    }
    tables = {table for meta in features.metadata() for table in meta.tables}
    assert {"experiments", "runs", "params", "tags", "series", "metric_summaries"} <= tables


def test_jobs_are_declared_at_the_seam_with_their_own_resource() -> None:
    jobs = features.features()[2]
    assert jobs.name == "jobs"
    # Starting a job runs code: a deployment can refuse it and still allow reading runs.
    assert jobs.auth_resource == "studio.jobs"
    assert set(jobs.commands) == {"jobs", "scheduler"}
    tables = set(features.resolve(jobs.metadata).tables)
    assert {"job_definitions", "job_runs", "job_notebooks", "job_schedulers"} <= tables


def test_the_debugger_is_declared_at_the_seam() -> None:
    debugger = features.features()[1]
    assert debugger.name == "debugger"
    assert debugger.auth_resource == "studio.debugger"
    assert debugger.on_runs_deleted is not None
    tables = {table for meta in features.metadata() for table in meta.tables}
    assert {"debugger_findings", "debugger_rule_states"} <= tables


def test_the_app_hands_one_database_to_every_service(jp_serverapp: ServerApp) -> None:
    settings = jp_serverapp.web_app.settings
    database = settings["studio_database"]
    assert isinstance(database, Database)
    for feature in features.features():
        service = settings[feature.settings_key]
        assert service.store.db is database


def _stored_run_ids(session: Session, run_ids: Any) -> list[str]:
    if isinstance(run_ids, list):
        return run_ids
    return list(session.scalars(select(SqlRun.id).where(SqlRun.id.in_(run_ids))))


def test_runs_deleted_hook_runs_in_the_deleting_transaction(tmp_path: Path) -> None:
    seen: list[list[str]] = []

    def record(session: Session, run_ids: Any) -> None:
        seen.append(sorted(_stored_run_ids(session, run_ids)))

    database = Database(f"sqlite:///{tmp_path / 'studio.db'}")
    service = TrackingService(TrackingStore(database, str(tmp_path), on_runs_deleted=record))
    experiment = service.create_experiment("e")
    parent = service.create_run(experiment.id, run_id="parent")
    service.create_run(experiment.id, run_id="child", parent_run_id=parent.id)
    service.create_run(experiment.id, run_id="other")
    service.delete_run("parent")
    service.delete_experiment(experiment.id)
    assert seen == [["child", "parent"], ["other"]]
    database.dispose()


def test_a_failing_hook_deletes_nothing(tmp_path: Path) -> None:
    def refuse(session: Session, run_ids: Any) -> None:
        raise StoreError("the debugger's rows could not be deleted")

    database = Database(f"sqlite:///{tmp_path / 'studio.db'}")
    service = TrackingService(TrackingStore(database, str(tmp_path), on_runs_deleted=refuse))
    experiment = service.create_experiment("e")
    service.create_run(experiment.id, run_id="kept", params={"p": 1})
    with pytest.raises(StoreError, match="debugger"):
        service.delete_run("kept")
    with pytest.raises(StoreError, match="debugger"):
        service.delete_experiment(experiment.id)
    assert service.get_run("kept").params == {"p": "1"}
    database.dispose()


def test_studio_db_does_not_load_the_server(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from studio.cli import main\n"
        f"status = main(['--db-url', 'sqlite:///{tmp_path / 'cli.db'}', 'db', 'upgrade'])\n"
        "server = ('tornado', 'jupyter_server', 'studio.app')\n"
        "loaded = sorted(m for m in server if m in sys.modules)\n"
        "print(status, loaded)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip().splitlines()[-1] == "0 []"


def fake_command(arguments: list[str]) -> int:
    print("fake command got", arguments)
    return 7


def test_feature_commands_are_subcommands(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    declared = features.features()
    extra = features.Feature(
        name="fake",
        auth_resource="studio.fake",
        routes="studio.tracking.handlers:ROUTES",
        service="studio.tracking.service:TrackingService.from_database",
        metadata="studio.tracking.orm:SqlRun.metadata",
        commands={"fake": features.Command("a test command", f"{__name__}:fake_command")},
    )
    monkeypatch.setattr(features, "features", lambda: (*declared, extra))
    assert studio_main(["fake", "--flag", "value"]) == 7
    assert "fake command got ['--flag', 'value']" in capsys.readouterr().out


class _Named(BaseModel, title="Thing"):
    value: int


class _SameTitle(BaseModel, title="Thing"):
    other: str


class _First(StudioAPIHandler):
    @web.authenticated
    @endpoint("first", operation_id="getThing", response=_Named)
    async def get(self) -> None: ...


class _Second(StudioAPIHandler):
    @web.authenticated
    @endpoint("second", operation_id="getThing", response=_Named)
    async def get(self) -> None: ...


class _Clashing(StudioAPIHandler):
    @web.authenticated
    @endpoint("clashing", operation_id="getOtherThing", response=_SameTitle)
    async def get(self) -> None: ...


def test_operation_ids_and_schema_names_are_unique() -> None:
    document = build_document([Route("/a", _First)])
    assert document["paths"]["/a"]["get"]["operationId"] == "getThing"
    assert "Thing" in document["components"]["schemas"]
    with pytest.raises(ValueError, match="operationId 'getThing'"):
        build_document([Route("/a", _First), Route("/b", _Second)])
    with pytest.raises(ValueError, match="named 'Thing'"):
        build_document([Route("/a", _First), Route("/c", _Clashing)])


def test_schema_names_are_titles_not_class_names() -> None:
    document = build_document(features.routes())
    for name, schema in document["components"]["schemas"].items():
        assert schema.get("title", name) == name
