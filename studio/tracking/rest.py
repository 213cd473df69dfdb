"""The remote tracking backend: TrackingService's methods over a Studio server's REST API.

Used where `STUDIO_TRACKING_URI` is an `http(s)://` URL. It speaks the same wire models as the
server (studio.tracking.schemas), returns the same domain entities and raises the same
`StudioError` subclasses, and uses only the standard library for HTTP: it never imports the
server, tornado or the SQL store.
"""

from __future__ import annotations

import json
import posixpath
import shutil
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar, cast
from urllib.parse import quote, urlencode

from pydantic import BaseModel, ValidationError

from studio.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    StoreError,
    StudioError,
    error_for_status,
)
from studio.tracking.entities import RunStatus
from studio.tracking.local_files import local_files
from studio.tracking.rest_batches import UnansweredBatches, chunks, metrics_in
from studio.tracking.rest_series import RestRunSeries
from studio.tracking.schemas import (
    ArtifactListOut,
    ArtifactOut,
    BatchIn,
    ExperimentCreateIn,
    ExperimentListOut,
    ExperimentOut,
    ExperimentUpdateIn,
    MetricHistoryOut,
    RunCreateIn,
    RunOut,
    RunUpdateIn,
)
from studio.tracking.schemas_search import RunListOut, RunSearchIn
from studio.tracking.validation import (
    MAX_EXPERIMENT_PAGE,
    MAX_HISTORY_POINTS,
    params_to_text,
    tags_to_text,
)

if TYPE_CHECKING:
    from http.client import HTTPResponse

    from studio.tracking.entities import (
        ArtifactInfo,
        Experiment,
        MetricHistory,
        RunPage,
        RunRecord,
    )
    from studio.tracking.wire_types import ScalarIn
    from studio.tracking.writer import MetricRow

M = TypeVar("M", bound=BaseModel)

API_PREFIX = "/studio/api"
DOWNLOAD_CHUNK = 1 << 20


class RestTrackingClient:
    """Experiments, runs, logging and artifacts on a Studio server, with its token."""

    # Page sizes asked of the server (the largest it allows): one request for most lists.
    experiment_page_size = MAX_EXPERIMENT_PAGE
    history_page_size = MAX_HISTORY_POINTS

    def __init__(self, base_url: str, token: str = "", *, timeout: float = 60.0) -> None:
        """`base_url` is the Jupyter server's URL (with its base_url, if any)."""
        base = base_url.rstrip("/")
        self.base_url = base.removesuffix(API_PREFIX)
        self.token = token
        self.timeout = timeout
        self._unanswered = UnansweredBatches()
        # A run's series of other kinds than metrics (`series_api`'s names, over REST).
        self.series = RestRunSeries(self._json, self._send)

    def __repr__(self) -> str:
        return f"RestTrackingClient({self.base_url!r})"

    def after_fork(self) -> None:
        """In a forked child: the parent's unanswered batches are the parent's to retry, and
        their lock may have been held by the parent's writer thread at the fork."""
        self._unanswered = UnansweredBatches()

    # Experiments ---------------------------------------------------------------------------

    def create_experiment(
        self, name: str, description: str = "", tags: Mapping[str, str] | None = None
    ) -> Experiment:
        with _checked():
            body = ExperimentCreateIn(name=name, description=description, tags=tags_to_text(tags))
        return self._json("POST", "/experiments", ExperimentOut, body=body).to_entity()

    def get_experiment(self, experiment_id: int) -> Experiment:
        return self._json("GET", f"/experiments/{experiment_id}", ExperimentOut).to_entity()

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        found = self.list_experiments(include_archived=True, name_contains=name)
        return next((experiment for experiment in found if experiment.name == name), None)

    def get_or_create_experiment(self, name: str) -> Experiment:
        existing = self.get_experiment_by_name(name)
        if existing is not None:
            return existing
        try:
            return self.create_experiment(name)
        except Conflict:  # another process created it a moment ago
            created = self.get_experiment_by_name(name)
            if created is None:
                raise
            return created

    def list_experiments(
        self, *, include_archived: bool = False, name_contains: str | None = None
    ) -> list[Experiment]:
        """Every experiment: the server answers in pages, followed here."""
        query: dict[str, Any] = {
            "include_archived": str(include_archived).lower(),
            "max_results": self.experiment_page_size,
        }
        if name_contains:
            query["name"] = name_contains
        found: list[Experiment] = []
        while True:
            answer = self._json("GET", "/experiments", ExperimentListOut, query=query)
            found.extend(experiment.to_entity() for experiment in answer.experiments)
            if answer.next_page_token is None:
                return found
            query["page_token"] = answer.next_page_token

    def update_experiment(
        self,
        experiment_id: int,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        archived: bool | None = None,
    ) -> Experiment:
        with _checked():
            body = ExperimentUpdateIn(
                name=name,
                description=description,
                tags=None if tags is None else tags_to_text(tags),
                archived=archived,
            )
        path = f"/experiments/{experiment_id}"
        return self._json("PATCH", path, ExperimentOut, body=body).to_entity()

    def delete_experiment(self, experiment_id: int) -> None:
        self._send("DELETE", f"/experiments/{experiment_id}").close()

    # Runs ----------------------------------------------------------------------------------

    def create_run(
        self,
        experiment_id: int,
        *,
        name: str | None = None,
        run_id: str | None = None,
        parent_run_id: str | None = None,
        source: str | None = None,
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        status: RunStatus = RunStatus.RUNNING,
        start_time: int | None = None,
        end_time: int | None = None,
    ) -> RunRecord:
        with _checked():
            body = RunCreateIn(
                experiment_id=experiment_id,
                name=name,
                run_id=run_id,
                parent_run_id=parent_run_id,
                source=source,
                params=_scalars(params_to_text(params)),
                tags=_scalars(tags_to_text(tags)),
                metrics=metrics_in(metrics),
                status=status,
                start_time=start_time,
                end_time=end_time,
            )
        return self._json("POST", "/runs", RunOut, body=body).to_entity()

    def get_run(self, run_id: str) -> RunRecord:
        return self._json("GET", f"/runs/{_segment(run_id)}", RunOut).to_entity()

    def update_run(
        self,
        run_id: str,
        *,
        status: RunStatus | None = None,
        end_time: int | None = None,
        name: str | None = None,
    ) -> RunRecord:
        with _checked():
            body = RunUpdateIn(status=status, end_time=end_time, name=name)
        return self._json("PATCH", f"/runs/{_segment(run_id)}", RunOut, body=body).to_entity()

    def delete_run(self, run_id: str) -> None:
        self._send("DELETE", f"/runs/{_segment(run_id)}").close()

    def search_runs(
        self,
        experiment_ids: Sequence[int] | None = None,
        *,
        filter: str | None = None,
        order_by: Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
        parent_run_id: str | None = None,
        include_total: bool = False,
    ) -> RunPage:
        with _checked():
            body = RunSearchIn(
                experiment_ids=None if experiment_ids is None else list(experiment_ids),
                filter=filter,
                order_by=list(order_by or []),
                max_results=max_results,
                page_token=page_token,
                parent_run_id=parent_run_id,
                include_total=include_total,
            )
        return self._json("POST", "/runs/search", RunListOut, body=body).to_entity()

    # Logging -------------------------------------------------------------------------------

    def log_batch(
        self,
        run_id: str,
        *,
        metrics: Sequence[tuple[str, float, int, int]] = (),
        params: Mapping[str, object] | None = None,
        tags: Mapping[str, object] | None = None,
        batch_id: str | None = None,
    ) -> None:
        """One run's params, tags and points, stored all together or not at all.

        The batch carries an id (`batch_id`, or a new one): sending the same id again after
        an unanswered attempt cannot store the batch twice.
        """
        with _checked():
            body = BatchIn(
                metrics=metrics_in(metrics),
                params=_scalars(params_to_text(params)),
                tags=_scalars(tags_to_text(tags)),
                batch_id=batch_id or uuid.uuid4().hex,
            )
        self._send("POST", f"/runs/{_segment(run_id)}/batch", body=body).close()

    def write_metrics(self, rows: Sequence[MetricRow]) -> None:
        """The batching writer's path: rows of any runs, sent per run in batches the server
        accepts.

        The batches' ids are the same each time the writer passes the same rows again: when
        it retries after a `StoreError` (a timeout, a 5xx, a dropped connection), batches the
        server had in fact stored are acknowledged without being stored twice.
        """
        batch_id = self._unanswered.id_for(rows)
        try:
            for index, (run_id, chunk) in enumerate(chunks(rows)):
                self.log_batch(run_id, metrics=chunk, batch_id=f"{batch_id}-{index}")
        except StoreError:
            raise  # unanswered: the ids stay for the writer's retry
        except BaseException:
            self._unanswered.forget(rows)  # refused: no retry will come
            raise
        self._unanswered.forget(rows)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None = None,
        *,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> MetricHistory:
        """At most `max_points` points, or (None) every point: the server answers a full
        history in pages, which are followed and joined here."""
        query: dict[str, Any] = {"key": key}
        if min_step is not None:
            query["min_step"] = min_step
        if max_step is not None:
            query["max_step"] = max_step
        if max_points is not None:
            query["max_points"] = max_points
        else:
            query["max_results"] = self.history_page_size
        path = f"/runs/{_segment(run_id)}/metrics/history"
        first = self._json("GET", path, MetricHistoryOut, query=query)
        page = first
        while page.next_page_token is not None:
            page = self._json(
                "GET", path, MetricHistoryOut, query={**query, "page_token": page.next_page_token}
            )
            first.steps.extend(page.steps)
            first.timestamps.extend(page.timestamps)
            first.values.extend(page.values)
        first.total = page.total
        first.next_page_token = None
        return first.to_entity()

    # Artifacts -----------------------------------------------------------------------------

    def log_artifact(self, run_id: str, local_path: str | Path, name: str | None = None) -> str:
        """Upload a local file or folder into the run's artifacts; returns its artifact path."""
        source = Path(local_path)
        if not source.exists():
            raise InvalidInput(f"Cannot log {str(source)!r} as an artifact: it does not exist.")
        target = name or source.name
        if source.is_file():
            return self.upload_artifact(run_id, target, source.read_bytes())
        stored = None
        for real, relative in local_files(source):  # links that lead outside it: skipped
            data = Path(real).read_bytes()
            stored = self.upload_artifact(run_id, f"{target}/{relative}", data)
            stored = stored.removesuffix(f"/{relative}")
        return stored or posixpath.normpath(target)

    def upload_artifact(self, run_id: str, path: str, data: bytes) -> str:
        answer = self._json(
            "PUT",
            f"/runs/{_segment(run_id)}/artifacts/content",
            ArtifactOut,
            query={"path": path},
            data=data,
        )
        return answer.path

    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]:
        route = f"/runs/{_segment(run_id)}/artifacts"
        answer = self._json("GET", route, ArtifactListOut, query={"path": path})
        return [artifact.to_entity() for artifact in answer.artifacts]

    def open_artifact(self, run_id: str, path: str) -> tuple[IO[bytes], int | None]:
        """An open binary stream of an artifact file and its size; close it when done."""
        route = f"/runs/{_segment(run_id)}/artifacts/content"
        response = self._send("GET", route, query={"path": path})
        length = response.headers.get("Content-Length")
        return cast("IO[bytes]", response), int(length) if length else None

    def download_artifacts(self, run_id: str, path: str, destination: str | Path) -> Path:
        """Copy an artifact file or folder into a local folder; returns the local path."""
        if not path.strip("/ "):
            raise InvalidInput("An artifact path must not be empty.")
        parent = posixpath.dirname(path.rstrip("/"))
        entry = next(
            (a for a in self.list_artifacts(run_id, parent) if a.path == posixpath.normpath(path)),
            None,
        )
        if entry is None:
            raise NotFound(f"No artifact {path!r} in this run.")
        local = _inside(Path(destination), posixpath.basename(entry.path))
        if entry.is_dir:
            for file in self._walk(run_id, entry.path):
                target = _inside(local, posixpath.relpath(file, entry.path))
                self._download_file(run_id, file, target)
        else:
            self._download_file(run_id, entry.path, local)
        return local

    def _walk(self, run_id: str, folder: str) -> Iterator[str]:
        for artifact in self.list_artifacts(run_id, folder):
            if artifact.is_dir:
                yield from self._walk(run_id, artifact.path)
            else:
                yield artifact.path

    def _download_file(self, run_id: str, path: str, local: Path) -> None:
        local.parent.mkdir(parents=True, exist_ok=True)
        stream, _ = self.open_artifact(run_id, path)
        with stream, local.open("wb") as out:
            shutil.copyfileobj(stream, out, DOWNLOAD_CHUNK)

    # HTTP ----------------------------------------------------------------------------------

    def _json(
        self,
        method: str,
        path: str,
        model: type[M],
        *,
        query: Mapping[str, Any] | None = None,
        body: BaseModel | None = None,
        data: bytes | None = None,
    ) -> M:
        with self._send(method, path, query=query, body=body, data=data) as response:
            payload = response.read()
        try:
            return model.model_validate_json(payload)
        except ValidationError as exc:
            raise StoreError(f"The Studio server sent an unexpected answer: {exc}") from exc

    def _send(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: BaseModel | None = None,
        data: bytes | None = None,
    ) -> HTTPResponse:
        url = f"{self.base_url}{API_PREFIX}{path}"
        if query:
            url += "?" + urlencode(query, doseq=True)
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"token {self.token}"
        if body is not None:
            data = body.model_dump_json(exclude_none=True).encode()
            headers["Content-Type"] = "application/json"
        elif data is not None:
            headers["Content-Type"] = "application/octet-stream"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            return cast("HTTPResponse", urllib.request.urlopen(request, timeout=self.timeout))
        except urllib.error.HTTPError as exc:
            error = _answer_error(exc)
            raise error from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise StoreError(
                f"Cannot reach the Studio server at {self.base_url}: {reason}"
            ) from exc


def _answer_error(exc: urllib.error.HTTPError) -> StudioError:
    """The StudioError for an error answer, carrying the server's message."""
    try:
        text = exc.read().decode("utf-8", "replace")
    finally:
        exc.close()
    try:
        message = str(json.loads(text)["message"])
    except (ValueError, KeyError, TypeError):
        message = text.strip() or str(exc.reason)
    if exc.code in (401, 403):
        message = f"The Studio server refused the request (HTTP {exc.code}): {message}"
    return error_for_status(exc.code, message)


@contextmanager
def _checked() -> Iterator[None]:
    """Request bodies are checked here: a value the server would refuse fails before sending,
    as the same InvalidInput the local service raises."""
    try:
        yield
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
            for error in exc.errors(include_url=False)
        )
        raise InvalidInput(problems) from exc


def _scalars(text: dict[str, str]) -> dict[str, ScalarIn]:
    # Params and tags leave as the text a local client would store (same rules, same errors).
    return dict(text)


def _segment(value: str) -> str:
    return quote(value, safe="")


def _inside(folder: Path, relative: str) -> Path:
    """`folder / relative`, refused when it would land outside `folder`: the paths come from
    the server's listing, and a hostile server must not make a download write elsewhere."""
    target = folder / relative
    if (
        not target.resolve().is_relative_to(folder.resolve())
        or target.resolve() == folder.resolve()
    ):
        raise StoreError(
            f"The Studio server listed the artifact {relative!r}, which would be written "
            f"outside {str(folder)!r}: refused."
        )
    return target
