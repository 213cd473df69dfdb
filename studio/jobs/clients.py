"""Where the Python API and `studio jobs` find notebook jobs: the store itself (`LocalJobs`,
a `JobService` on the configured database) or a Studio server's REST API (`RestJobs`, where
the tracking URI is an `http(s)://` URL, with `STUDIO_TOKEN`). Both answer with the public
`JobRun` and `JobDefinition` of `studio.jobs.api` and raise the same `StudioError`s.

Paths: locally, a notebook path is a file path on this machine (relative to the working
folder); through a server, it is relative to the server's root folder, as in the Jobs panel.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import ValidationError

from studio.errors import InvalidInput
from studio.feature_clients import ClientCache
from studio.jobs.api_types import JobDefinition, JobRun, definition_from_wire, run_from_wire
from studio.jobs.entities import JobStatus, Trigger

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.jobs.service import JobService
    from studio.tracking.rest import RestTrackingClient

__all__ = ["LocalJobs", "RestJobs", "jobs_client"]

SCHEDULER_ALIVE_MS = 15_000
"""A scheduler that beat this recently is taken to be alive (three of its heartbeats)."""


def _local(database: Database, config: StudioConfig) -> LocalJobs:
    from studio.jobs.service import JobService

    return LocalJobs(JobService.from_database(database, config))


class LocalJobs:
    """Notebook jobs in the store this process is configured for."""

    def __init__(self, service: JobService) -> None:
        self.service = service

    def submit(self, path: str | Path, **fields: Any) -> JobRun:
        found = self.service.submit(Path(path).expanduser().resolve(), **fields)
        return self._run(found)

    def get_run(self, job_run_id: int) -> JobRun:
        return self._run(self.service.get_run(job_run_id))

    def list_runs(
        self,
        *,
        definition_id: int | None = None,
        statuses: Sequence[str] = (),
        triggers: Sequence[str] = (),
        max_results: int = 100,
    ) -> list[JobRun]:
        found, _ = self.service.list_runs(
            definition_id=definition_id,
            statuses=tuple(JobStatus(status) for status in statuses),
            triggers=tuple(Trigger(trigger) for trigger in triggers),
            limit=max_results,
        )
        return [self._run(job_run) for job_run in found]

    def cancel(self, job_run_id: int) -> JobRun:
        return self._run(self.service.cancel(job_run_id))

    def read_log(self, job_run_id: int, offset: int = 0) -> tuple[str, int, bool]:
        done = self.service.get_run(job_run_id).status.is_final
        text, next_offset = self.service.read_log(job_run_id, offset)
        return text, next_offset, done and not text

    def create_definition(self, name: str, path: str | Path, **fields: Any) -> JobDefinition:
        found = self.service.create_definition(name, Path(path).expanduser().resolve(), **fields)
        return JobDefinition.from_entity(found)

    def get_definition(self, key: int | str) -> JobDefinition:
        return JobDefinition.from_entity(self.service.get_definition(self._definition_id(key)))

    def list_definitions(self, max_results: int = 1000) -> list[JobDefinition]:
        found, _ = self.service.list_definitions(limit=max_results)
        return [JobDefinition.from_entity(definition) for definition in found]

    def change_definition(self, key: int | str, action: str) -> JobDefinition:
        definition_id = self._definition_id(key)
        changed = {"pause": self.service.pause, "resume": self.service.resume}[action](
            definition_id
        )
        return JobDefinition.from_entity(changed)

    def delete_definition(self, key: int | str) -> None:
        self.service.delete_definition(self._definition_id(key))

    def run_definition(self, key: int | str, parameters: Mapping[str, Any]) -> JobRun:
        found = self.service.run_definition(self._definition_id(key), parameters)
        return self._run(found)

    def scheduler_alive(self) -> bool:
        return bool(self.service.live_schedulers(SCHEDULER_ALIVE_MS))

    def _definition_id(self, key: int | str) -> int:
        if isinstance(key, int) or key.isdigit():
            return int(key)
        found = self.service.find_definition(key)
        if found is None:
            from studio.errors import NotFound

            raise NotFound(f"No job definition is named {key!r}.")
        return found.id

    def _run(self, job_run: Any) -> JobRun:
        return JobRun.from_entity(job_run)


class RestJobs:
    """Notebook jobs on a Studio server, through its REST API (`/studio/api/jobs/...`)."""

    def __init__(self, tracking: RestTrackingClient) -> None:
        self.tracking = tracking
        self._json = tracking._json
        self._send = tracking._send

    def submit(self, path: str | Path, **fields: Any) -> JobRun:
        from studio.jobs.schemas import JobRunIn, JobRunOut

        body = _checked(JobRunIn, {"notebook_path": Path(path).as_posix(), **fields})
        return run_from_wire(self._json("POST", "/jobs/runs", JobRunOut, body=body))

    def get_run(self, job_run_id: int) -> JobRun:
        from studio.jobs.schemas import JobRunOut

        return run_from_wire(self._json("GET", f"/jobs/runs/{int(job_run_id)}", JobRunOut))

    def list_runs(
        self,
        *,
        definition_id: int | None = None,
        statuses: Sequence[str] = (),
        triggers: Sequence[str] = (),
        max_results: int = 100,
    ) -> list[JobRun]:
        from studio.jobs.schemas import JobRunsOut

        query: dict[str, Any] = {
            "status": list(statuses),
            "trigger": list(triggers),
            "max_results": max_results,
        }
        if definition_id is not None:
            query["definition_id"] = definition_id
        page = self._json("GET", "/jobs/runs", JobRunsOut, query=query)
        return [run_from_wire(found) for found in page.runs]

    def cancel(self, job_run_id: int) -> JobRun:
        from studio.jobs.schemas import JobRunOut

        path = f"/jobs/runs/{int(job_run_id)}/cancel"
        return run_from_wire(self._json("POST", path, JobRunOut))

    def read_log(self, job_run_id: int, offset: int = 0) -> tuple[str, int, bool]:
        from studio.jobs.schemas import LogOut

        path = f"/jobs/runs/{int(job_run_id)}/log"
        found = self._json("GET", path, LogOut, query={"offset": offset})
        return found.text, found.offset, found.done

    def create_definition(self, name: str, path: str | Path, **fields: Any) -> JobDefinition:
        from studio.jobs.schemas import DefinitionIn, DefinitionOut

        fields = {key: value for key, value in fields.items() if value is not None}
        if "missed" in fields:
            fields["missed"] = getattr(fields["missed"], "value", fields["missed"])
        body = _checked(
            DefinitionIn, {"name": name, "notebook_path": Path(path).as_posix(), **fields}
        )
        return definition_from_wire(
            self._json("POST", "/jobs/definitions", DefinitionOut, body=body)
        )

    def get_definition(self, key: int | str) -> JobDefinition:
        from studio.jobs.schemas import DefinitionOut

        path = f"/jobs/definitions/{self._definition_id(key)}"
        return definition_from_wire(self._json("GET", path, DefinitionOut))

    def list_definitions(self, max_results: int = 1000) -> list[JobDefinition]:
        from studio.jobs.schemas import DefinitionsOut

        query = {"max_results": max_results}
        page = self._json("GET", "/jobs/definitions", DefinitionsOut, query=query)
        return [definition_from_wire(found) for found in page.definitions]

    def change_definition(self, key: int | str, action: str) -> JobDefinition:
        from studio.jobs.schemas import DefinitionOut

        path = f"/jobs/definitions/{self._definition_id(key)}/{quote(action, safe='')}"
        return definition_from_wire(self._json("POST", path, DefinitionOut))

    def delete_definition(self, key: int | str) -> None:
        with self._send("DELETE", f"/jobs/definitions/{self._definition_id(key)}"):
            pass

    def run_definition(self, key: int | str, parameters: Mapping[str, Any]) -> JobRun:
        from studio.jobs.schemas import JobRunOut, ParametersIn

        body = _checked(ParametersIn, {"parameters": dict(parameters)})
        path = f"/jobs/definitions/{self._definition_id(key)}/runs"
        return run_from_wire(self._json("POST", path, JobRunOut, body=body))

    def scheduler_alive(self) -> bool:
        """The server runs queued runs itself (or its `studio scheduler`s do)."""
        return True

    def _definition_id(self, key: int | str) -> int:
        if isinstance(key, int) or key.isdigit():
            return int(key)
        from studio.errors import NotFound
        from studio.jobs.schemas import DefinitionsOut

        page = self._json("GET", "/jobs/definitions", DefinitionsOut, query={"q": key})
        found = next((d for d in page.definitions if d.name == key), None)
        if found is None:
            raise NotFound(f"No job definition is named {key!r}.")
        return found.id


def _checked(model: Any, data: Mapping[str, Any]) -> Any:
    """A request body the server would accept; InvalidInput, as locally, when it would not."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise InvalidInput(problems) from exc


# Last: it names the client classes above.
jobs_client = ClientCache[LocalJobs | RestJobs](_local, RestJobs)
"""The process-wide client for a tracking URI: see `studio.feature_clients`."""
_clients = jobs_client.clients
