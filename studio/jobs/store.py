"""Notebook jobs in the Studio store: snapshots, definitions, job runs, schedulers.

One managed session per public method (STYLE.md rule 5). Every change of a job run's status
is a conditional UPDATE on the status it is expected to have, so that two schedulers racing
on one run (a claim, a recovery, a cancel meeting an end) leave exactly one winner, on SQLite
and on PostgreSQL alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from studio.errors import Conflict, InvalidInput, NotFound
from studio.jobs.entities import (
    JobDefinition,
    JobRun,
    JobStatus,
    MissedPolicy,
    Progress,
    RunSpec,
    Trigger,
)
from studio.jobs.orm import SqlJobDefinition, SqlJobNotebook, SqlJobRun, SqlJobScheduler
from studio.tracking.orm import SqlRun

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from studio.db.engine import Database
    from studio.jobs.execution import Outcome

__all__ = ["JobStore", "forget_tracking_runs"]

_LIVE = (JobStatus.QUEUED.value, JobStatus.RUNNING.value)
_DEFINITION_FIELDS = frozenset(
    {
        "name",
        "spec",
        "notebook_id",
        "schedule",
        "timezone",
        "max_concurrent_runs",
        "missed",
        "keep_outputs",
        "active",
        "next_run_at",
        "snapshot_at",
    }
)


class JobStore:
    """Notebook jobs over one database."""

    def __init__(self, database: Database) -> None:
        self.db = database

    # Notebook snapshots ----------------------------------------------------------------

    def save_notebook(self, content: str, now: int) -> int:
        """The id of a snapshot with this content, stored once whatever the number of saves."""
        digest = hashlib.sha256(content.encode("utf-8")).hexdigest()
        with self.db.session(write=True) as session:
            statement = _insert(session, SqlJobNotebook).values(
                sha256=digest, content=content, size=len(content.encode("utf-8")), created_at=now
            )
            session.execute(statement.on_conflict_do_nothing(index_elements=["sha256"]))
            found = session.scalar(select(SqlJobNotebook.id).where(SqlJobNotebook.sha256 == digest))
            assert found is not None
            return int(found)

    def get_notebook(self, notebook_id: int) -> str:
        with self.db.session() as session:
            content = session.scalar(
                select(SqlJobNotebook.content).where(SqlJobNotebook.id == notebook_id)
            )
        if content is None:
            raise NotFound(f"No notebook snapshot has id {notebook_id}.")
        return str(content)

    # Definitions ----------------------------------------------------------------------

    def create_definition(
        self,
        *,
        name: str,
        spec: RunSpec,
        notebook_id: int,
        schedule: str | None,
        timezone: str,
        max_concurrent_runs: int,
        missed: MissedPolicy,
        keep_outputs: int,
        active: bool,
        next_run_at: int | None,
        now: int,
    ) -> JobDefinition:
        with self.db.session(write=True) as session:
            if session.scalar(select(SqlJobDefinition.id).where(SqlJobDefinition.name == name)):
                raise Conflict(f"A job definition named {name!r} already exists.")
            row = SqlJobDefinition(
                name=name,
                **_spec_columns(spec),
                notebook_id=notebook_id,
                schedule=schedule,
                timezone=timezone,
                max_concurrent_runs=max_concurrent_runs,
                missed=MissedPolicy(missed).value,
                keep_outputs=keep_outputs,
                active=active,
                next_run_at=next_run_at,
                snapshot_at=now,
                created_at=now,
                updated_at=now,
            )
            session.add(row)
            session.flush()
            return _definition(row, None)

    def get_definition(self, definition_id: int) -> JobDefinition:
        with self.db.session() as session:
            row = session.get(SqlJobDefinition, definition_id)
            if row is None:
                raise NotFound(f"No job definition has id {definition_id}.")
            return _definition(row, _last_statuses(session, [row.id]).get(row.id))

    def find_definition(self, name: str) -> JobDefinition | None:
        with self.db.session() as session:
            row = session.scalar(select(SqlJobDefinition).where(SqlJobDefinition.name == name))
            if row is None:
                return None
            return _definition(row, _last_statuses(session, [row.id]).get(row.id))

    def list_definitions(
        self,
        *,
        active: bool | None = None,
        name_contains: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[list[JobDefinition], int]:
        """A page of definitions by name, and how many match in all."""
        query = select(SqlJobDefinition)
        if active is not None:
            query = query.where(SqlJobDefinition.active == active)
        if name_contains:
            escaped = name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(SqlJobDefinition.name.ilike(f"%{escaped}%", escape="\\"))
        with self.db.session() as session:
            total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = session.scalars(
                query.order_by(SqlJobDefinition.name).offset(offset).limit(limit)
            ).all()
            last = _last_statuses(session, [row.id for row in rows])
            return [_definition(row, last.get(row.id)) for row in rows], total

    def update_definition(
        self, definition_id: int, changes: Mapping[str, Any], now: int
    ) -> JobDefinition:
        """Change fields of a definition (`spec` as a whole `RunSpec`)."""
        unknown = set(changes) - _DEFINITION_FIELDS
        if unknown:
            raise InvalidInput(f"Unknown job definition fields: {', '.join(sorted(unknown))}.")
        with self.db.session(write=True) as session:
            row = session.get(SqlJobDefinition, definition_id, with_for_update=True)
            if row is None:
                raise NotFound(f"No job definition has id {definition_id}.")
            name = changes.get("name")
            if name is not None and name != row.name:
                taken = session.scalar(
                    select(SqlJobDefinition.id).where(SqlJobDefinition.name == name)
                )
                if taken:
                    raise Conflict(f"A job definition named {name!r} already exists.")
            for key, value in changes.items():
                if key == "spec":
                    for column, column_value in _spec_columns(value).items():
                        setattr(row, column, column_value)
                elif key == "missed":
                    row.missed = MissedPolicy(value).value
                else:
                    setattr(row, key, value)
            row.updated_at = now
            session.flush()
            return _definition(row, _last_statuses(session, [row.id]).get(row.id))

    def delete_definition(self, definition_id: int) -> None:
        """Delete a definition; its job runs stay, without it."""
        with self.db.session(write=True) as session:
            row = session.get(SqlJobDefinition, definition_id)
            if row is None:
                raise NotFound(f"No job definition has id {definition_id}.")
            # Explicit: SQLite applies ON DELETE SET NULL only with its foreign_keys pragma.
            session.execute(
                update(SqlJobRun)
                .where(SqlJobRun.definition_id == definition_id)
                .values(definition_id=None)
            )
            session.delete(row)

    def upcoming_definitions(self, limit: int) -> list[JobDefinition]:
        """The active scheduled definitions whose next occurrences come first."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobDefinition)
                .where(SqlJobDefinition.active.is_(True), SqlJobDefinition.next_run_at.is_not(None))
                .order_by(SqlJobDefinition.next_run_at, SqlJobDefinition.id)
                .limit(limit)
            ).all()
            return [_definition(row, None) for row in rows]

    def due_definitions(self, now: int) -> list[JobDefinition]:
        """Active scheduled definitions whose next occurrence has come."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobDefinition)
                .where(
                    SqlJobDefinition.active.is_(True),
                    SqlJobDefinition.next_run_at.is_not(None),
                    SqlJobDefinition.next_run_at <= now,
                )
                .order_by(SqlJobDefinition.next_run_at)
            ).all()
            return [_definition(row, None) for row in rows]

    def next_due(self, now: int) -> int | None:
        """When work comes next after `now`: the soonest occurrence of an active scheduled
        definition, or the soonest end of a queued retry's backoff (ms); None for neither."""
        with self.db.session() as session:
            occurrence = session.scalar(
                select(func.min(SqlJobDefinition.next_run_at)).where(
                    SqlJobDefinition.active.is_(True), SqlJobDefinition.next_run_at > now
                )
            )
            backoff = session.scalar(
                select(func.min(SqlJobRun.not_before)).where(
                    SqlJobRun.status == JobStatus.QUEUED.value, SqlJobRun.not_before > now
                )
            )
        times = [int(when) for when in (occurrence, backoff) if when is not None]
        return min(times) if times else None

    def advance_next_run(self, definition_id: int, seen: int | None, new: int | None) -> bool:
        """Move a definition's next occurrence from `seen` to `new`, unless another scheduler
        already moved it (then False)."""
        with self.db.session(write=True) as session:
            result = session.execute(
                update(SqlJobDefinition)
                .where(
                    SqlJobDefinition.id == definition_id,
                    SqlJobDefinition.next_run_at.is_(None)
                    if seen is None
                    else SqlJobDefinition.next_run_at == seen,
                )
                .values(next_run_at=new)
            )
            return bool(result.rowcount)  # type: ignore[attr-defined]

    # Job runs -------------------------------------------------------------------------

    def create_run(
        self,
        *,
        name: str,
        spec: RunSpec,
        notebook_id: int,
        trigger: Trigger,
        now: int,
        definition_id: int | None = None,
        attempt: int = 1,
        retry_of: int | None = None,
        not_before: int | None = None,
    ) -> JobRun:
        """A QUEUED job run (not a scheduled occurrence: see `claim_occurrence`)."""
        with self.db.session(write=True) as session:
            if definition_id is not None and session.get(SqlJobDefinition, definition_id) is None:
                raise NotFound(f"No job definition has id {definition_id}.")
            row = SqlJobRun(
                **_new_run_columns(
                    name=name,
                    spec=spec,
                    notebook_id=notebook_id,
                    trigger=trigger,
                    now=now,
                    definition_id=definition_id,
                    attempt=attempt,
                    retry_of=retry_of,
                    not_before=not_before,
                )
            )
            session.add(row)
            session.flush()
            return _run(row)

    def claim_occurrence(
        self, definition: JobDefinition, scheduled_for: int, now: int
    ) -> JobRun | None:
        """Queue the run of one scheduled occurrence, or None when a scheduler already did:
        the unique (definition, occurrence) key makes the insert a lease."""
        columns = _new_run_columns(
            name=definition.name,
            spec=definition.spec,
            notebook_id=definition.notebook_id,
            trigger=Trigger.SCHEDULE,
            now=now,
            definition_id=definition.id,
            attempt=1,
            retry_of=None,
            not_before=None,
        )
        with self.db.session(write=True) as session:
            statement = (
                _insert(session, SqlJobRun)
                .values(scheduled_for=scheduled_for, **columns)
                .on_conflict_do_nothing(index_elements=["definition_id", "scheduled_for"])
                .returning(SqlJobRun.id)
            )
            claimed = session.execute(statement).scalar_one_or_none()
            if claimed is None:
                return None
            row = session.get(SqlJobRun, claimed)
            assert row is not None
            return _run(row)

    def get_run(self, job_run_id: int) -> JobRun:
        with self.db.session() as session:
            row = session.get(SqlJobRun, job_run_id)
            if row is None:
                raise NotFound(f"No job run has id {job_run_id}.")
            return _run(row)

    def list_runs(
        self,
        *,
        definition_id: int | None = None,
        statuses: Sequence[JobStatus] = (),
        triggers: Sequence[Trigger] = (),
        run_id: str | None = None,
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[list[JobRun], int]:
        """A page of job runs, newest first, and how many match in all."""
        query = select(SqlJobRun)
        if definition_id is not None:
            query = query.where(SqlJobRun.definition_id == definition_id)
        if statuses:
            query = query.where(SqlJobRun.status.in_([JobStatus(s).value for s in statuses]))
        if triggers:
            query = query.where(SqlJobRun.trigger.in_([Trigger(t).value for t in triggers]))
        if run_id is not None:
            query = query.where(SqlJobRun.run_id == run_id)
        with self.db.session() as session:
            total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
            rows = session.scalars(
                query.order_by(SqlJobRun.id.desc()).offset(offset).limit(limit)
            ).all()
            return [_run(row) for row in rows], total

    def claim_run(self, job_run_id: int, scheduler_id: str, host: str, now: int) -> JobRun | None:
        """Take one QUEUED run whose time has come (`studio.jobs.run_notebook` running its own
        run in-process): RUNNING, owned by `scheduler_id`; None when it is not (or no longer)
        queued and due."""
        with self.db.session(write=True) as session:
            result = session.execute(
                update(SqlJobRun)
                .where(
                    SqlJobRun.id == job_run_id,
                    SqlJobRun.status == JobStatus.QUEUED.value,
                    (SqlJobRun.not_before.is_(None)) | (SqlJobRun.not_before <= now),
                )
                .values(
                    status=JobStatus.RUNNING.value,
                    scheduler_id=scheduler_id,
                    host=host,
                    started_at=now,
                    heartbeat_at=now,
                )
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return None
            row = session.get(SqlJobRun, job_run_id, populate_existing=True)
            assert row is not None
            return _run(row)

    def claim_queued(self, scheduler_id: str, host: str, limit: int, now: int) -> list[JobRun]:
        """Take up to `limit` QUEUED runs whose time has come, oldest first, for this
        scheduler: each becomes RUNNING, owned by it. A definition's `max_concurrent_runs`
        counts its runs RUNNING on every scheduler."""
        if limit <= 0:
            return []
        with self.db.session(write=True) as session:
            candidates = session.scalars(
                select(SqlJobRun)
                .where(
                    SqlJobRun.status == JobStatus.QUEUED.value,
                    (SqlJobRun.not_before.is_(None)) | (SqlJobRun.not_before <= now),
                )
                .order_by(SqlJobRun.id)
                .limit(limit * 4 + 16)
                .with_for_update(skip_locked=True)
            ).all()
            definition_ids = {row.definition_id for row in candidates if row.definition_id}
            running: dict[int, int] = {}
            limits: dict[int, int] = {}
            if definition_ids:
                running = {
                    int(definition_id or 0): int(count)
                    for definition_id, count in session.execute(
                        select(SqlJobRun.definition_id, func.count())
                        .where(
                            SqlJobRun.definition_id.in_(definition_ids),
                            SqlJobRun.status == JobStatus.RUNNING.value,
                        )
                        .group_by(SqlJobRun.definition_id)
                    ).all()
                }
                limits = {
                    int(definition_id): int(most)
                    for definition_id, most in session.execute(
                        select(SqlJobDefinition.id, SqlJobDefinition.max_concurrent_runs).where(
                            SqlJobDefinition.id.in_(definition_ids)
                        )
                    ).all()
                }
            claimed: list[JobRun] = []
            for row in candidates:
                if len(claimed) >= limit:
                    break
                definition_id = row.definition_id
                if (
                    definition_id is not None
                    and definition_id in limits
                    and running.get(definition_id, 0) >= limits[definition_id]
                ):
                    continue
                result = session.execute(
                    update(SqlJobRun)
                    .where(SqlJobRun.id == row.id, SqlJobRun.status == JobStatus.QUEUED.value)
                    .values(
                        status=JobStatus.RUNNING.value,
                        scheduler_id=scheduler_id,
                        host=host,
                        started_at=now,
                        heartbeat_at=now,
                    )
                    .execution_options(synchronize_session=False)
                )
                if result.rowcount:  # type: ignore[attr-defined]
                    if definition_id is not None:
                        running[definition_id] = running.get(definition_id, 0) + 1
                    session.refresh(row)
                    claimed.append(_run(row))
            return claimed

    def set_started(
        self,
        job_run_id: int,
        *,
        run_id: str | None = None,
        output_dir: str | None = None,
        pid: int | None = None,
        pid_started_at: float | None = None,
        host: str | None = None,
    ) -> None:
        """Record what a started run is: its tracking run, outputs and process."""
        values: dict[str, Any] = {}
        for key, value in (
            ("run_id", run_id),
            ("output_dir", output_dir),
            ("pid", pid),
            ("pid_started_at", pid_started_at),
            ("host", host),
        ):
            if value is not None:
                values[key] = value
        if not values:
            return
        with self.db.session(write=True) as session:
            session.execute(update(SqlJobRun).where(SqlJobRun.id == job_run_id).values(**values))

    def beat(
        self, scheduler_id: str, progress: Mapping[int, Progress | None], now: int
    ) -> set[int]:
        """The heartbeat of a scheduler's RUNNING runs, with their progress; returns the
        ones to stop: those whose cancellation was asked for (by any scheduler or client),
        and those no longer this scheduler's to run (a recovery by another scheduler ended
        them while this one was suspended, and their retry may be running already)."""
        if not progress:
            return set()
        with self.db.session(write=True) as session:
            for job_run_id, seen in progress.items():
                values: dict[str, Any] = {"heartbeat_at": now}
                if seen is not None:
                    values.update(
                        cells_done=seen.cells_done,
                        cells_total=seen.cells_total,
                        current_cell=seen.current_cell,
                        cell_started_at=seen.cell_started_at,
                    )
                session.execute(
                    update(SqlJobRun)
                    .where(
                        SqlJobRun.id == job_run_id,
                        SqlJobRun.scheduler_id == scheduler_id,
                        SqlJobRun.status == JobStatus.RUNNING.value,
                    )
                    .values(**values)
                )
            cancelled = session.scalars(
                select(SqlJobRun.id).where(
                    SqlJobRun.id.in_(list(progress)),
                    SqlJobRun.cancel_requested.is_(True)
                    | (SqlJobRun.status != JobStatus.RUNNING.value)
                    | (SqlJobRun.scheduler_id != scheduler_id),
                )
            ).all()
            return {int(job_run_id) for job_run_id in cancelled}

    def finish(
        self,
        job_run_id: int,
        outcome: Outcome,
        now: int,
        *,
        expected: JobStatus = JobStatus.RUNNING,
    ) -> JobRun | None:
        """End a run with its outcome, if it still has the `expected` status; None when it
        ended otherwise meanwhile (cancelled while queued, interrupted by a recovery)."""
        if not outcome.status.is_final:
            raise InvalidInput(f"A job run cannot end {outcome.status.value}.")
        progress = outcome.progress
        values: dict[str, Any] = {
            "status": outcome.status.value,
            "ended_at": now,
            "error": outcome.error,
            "error_name": outcome.error_name,
            "error_cell": outcome.error_cell,
            "traceback": outcome.traceback,
        }
        if progress.cells_total:
            values.update(
                cells_done=progress.cells_done,
                cells_total=progress.cells_total,
                current_cell=progress.current_cell,
                cell_started_at=progress.cell_started_at,
            )
        with self.db.session(write=True) as session:
            result = session.execute(
                update(SqlJobRun)
                .where(SqlJobRun.id == job_run_id, SqlJobRun.status == expected.value)
                .values(**values)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return None
            row = session.get(SqlJobRun, job_run_id, populate_existing=True)
            assert row is not None
            return _run(row)

    def request_cancel(self, job_run_id: int, now: int) -> JobRun:
        """Ask for a run to stop: a QUEUED run is CANCELLED at once; a RUNNING one is marked,
        and its scheduler kills it at its next beat. A finished run is a Conflict."""
        with self.db.session(write=True) as session:
            row = session.get(SqlJobRun, job_run_id, with_for_update=True)
            if row is None:
                raise NotFound(f"No job run has id {job_run_id}.")
            if row.status == JobStatus.QUEUED.value:
                row.status = JobStatus.CANCELLED.value
                row.ended_at = now
                row.error = "Cancelled before it started."
            elif row.status == JobStatus.RUNNING.value:
                row.cancel_requested = True
            else:
                raise Conflict(f"Job run {job_run_id} already ended {row.status}.")
            session.flush()
            return _run(row)

    def stale_runs(self, older_than: int) -> list[JobRun]:
        """RUNNING runs whose last heartbeat is older than `older_than` (ms since the epoch)."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobRun).where(
                    SqlJobRun.status == JobStatus.RUNNING.value,
                    SqlJobRun.heartbeat_at < older_than,
                )
            ).all()
            return [_run(row) for row in rows]

    def interrupt(
        self,
        job_run: JobRun,
        message: str,
        now: int,
        status: JobStatus = JobStatus.FAILED,
    ) -> JobRun | None:
        """End a stale run (FAILED, or CANCELLED where that was asked for), unless its
        heartbeat moved since it was seen (its scheduler is alive after all) or another
        recovery got there first (then None)."""
        with self.db.session(write=True) as session:
            result = session.execute(
                update(SqlJobRun)
                .where(
                    SqlJobRun.id == job_run.id,
                    SqlJobRun.status == JobStatus.RUNNING.value,
                    SqlJobRun.heartbeat_at == job_run.heartbeat_at,
                )
                .values(status=status.value, ended_at=now, error=message)
            )
            if not result.rowcount:  # type: ignore[attr-defined]
                return None
            row = session.get(SqlJobRun, job_run.id, populate_existing=True)
            assert row is not None
            return _run(row)

    def delete_run(self, job_run_id: int) -> JobRun:
        """Delete a finished run's row (the caller removes its outputs)."""
        with self.db.session(write=True) as session:
            row = session.get(SqlJobRun, job_run_id, with_for_update=True)
            if row is None:
                raise NotFound(f"No job run has id {job_run_id}.")
            if row.status in _LIVE:
                raise Conflict(f"Job run {job_run_id} is {row.status}: cancel it first.")
            found = _run(row)
            session.delete(row)
            return found

    def runs_past_retention(self, definition_id: int, keep: int) -> list[JobRun]:
        """Finished runs of a definition beyond the newest `keep` that still have outputs."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobRun)
                .where(
                    SqlJobRun.definition_id == definition_id,
                    SqlJobRun.status.not_in(_LIVE),
                    SqlJobRun.outputs_deleted.is_(False),
                )
                .order_by(SqlJobRun.id.desc())
                .offset(keep)
            ).all()
            return [_run(row) for row in rows]

    def mark_outputs_deleted(self, job_run_ids: Iterable[int]) -> None:
        ids = list(job_run_ids)
        if not ids:
            return
        with self.db.session(write=True) as session:
            session.execute(
                update(SqlJobRun).where(SqlJobRun.id.in_(ids)).values(outputs_deleted=True)
            )

    def live_runs(self, scheduler_id: str | None = None) -> list[JobRun]:
        """QUEUED and RUNNING runs (those of one scheduler only, if given), oldest first."""
        query = select(SqlJobRun).where(SqlJobRun.status.in_(_LIVE))
        if scheduler_id is not None:
            query = query.where(SqlJobRun.scheduler_id == scheduler_id)
        with self.db.session() as session:
            return [_run(row) for row in session.scalars(query.order_by(SqlJobRun.id)).all()]

    def experiments_of(self, run_ids: Iterable[str]) -> dict[str, int]:
        """The experiment of each of these tracking runs that still exists."""
        wanted = sorted(set(run_ids))
        if not wanted:
            return {}
        with self.db.session() as session:
            rows = session.execute(
                select(SqlRun.id, SqlRun.experiment_id).where(SqlRun.id.in_(wanted))
            ).all()
        return {str(run_id): int(experiment_id) for run_id, experiment_id in rows}

    # Schedulers -----------------------------------------------------------------------

    def beat_scheduler(
        self, scheduler_id: str, host: str, pid: int, executor: str, now: int
    ) -> None:
        """Register a scheduler, or renew its heartbeat."""
        with self.db.session(write=True) as session:
            row = session.get(SqlJobScheduler, scheduler_id)
            if row is None:
                session.add(
                    SqlJobScheduler(
                        id=scheduler_id,
                        host=host,
                        pid=pid,
                        executor=executor,
                        started_at=now,
                        heartbeat_at=now,
                    )
                )
            else:
                row.heartbeat_at = now

    def remove_scheduler(self, scheduler_id: str) -> None:
        with self.db.session(write=True) as session:
            session.execute(delete(SqlJobScheduler).where(SqlJobScheduler.id == scheduler_id))

    def live_schedulers(self, since: int) -> list[dict[str, Any]]:
        """Schedulers that beat after `since`: id, host, pid, executor, times."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobScheduler)
                .where(SqlJobScheduler.heartbeat_at >= since)
                .order_by(SqlJobScheduler.started_at)
            ).all()
            return [
                {
                    "id": row.id,
                    "host": row.host,
                    "pid": row.pid,
                    "executor": row.executor,
                    "started_at": row.started_at,
                    "heartbeat_at": row.heartbeat_at,
                }
                for row in rows
            ]


def forget_tracking_runs(session: Session, run_ids: Any) -> None:
    """The feature's runs-deleted hook: job runs keep their history without the deleted
    tracking runs (explicit, as SQLite applies ON DELETE SET NULL only with its pragma on)."""
    session.execute(
        update(SqlJobRun)
        .where(SqlJobRun.run_id.in_(run_ids))
        .values(run_id=None)
        .execution_options(synchronize_session=False)
    )


def _insert(session: Session, table: Any) -> Any:
    dialect = session.connection().dialect.name
    return (postgresql_insert if dialect == "postgresql" else sqlite_insert)(table)


def _spec_columns(spec: RunSpec) -> dict[str, Any]:
    return {
        "notebook_path": spec.notebook_path,
        "parameters": dict(spec.parameters),
        "kernel_name": spec.kernel_name,
        "timeout": spec.timeout,
        "retries": spec.retries,
        "retry_backoff": spec.retry_backoff,
        "environment": dict(spec.environment),
        "secret_environment": dict(spec.secret_environment),
        "html": spec.html,
        "experiment": spec.experiment,
    }


def _new_run_columns(
    *,
    name: str,
    spec: RunSpec,
    notebook_id: int,
    trigger: Trigger,
    now: int,
    definition_id: int | None,
    attempt: int,
    retry_of: int | None,
    not_before: int | None,
) -> dict[str, Any]:
    return {
        **_spec_columns(spec),
        "definition_id": definition_id,
        "name": name,
        "notebook_id": notebook_id,
        "trigger": Trigger(trigger).value,
        "status": JobStatus.QUEUED.value,
        "attempt": attempt,
        "retry_of": retry_of,
        "created_at": now,
        "not_before": not_before,
        "cells_done": 0,
        "cells_total": 0,
        "outputs_deleted": False,
        "cancel_requested": False,
    }


def _spec(row: SqlJobDefinition | SqlJobRun) -> RunSpec:
    return RunSpec(
        notebook_path=row.notebook_path,
        parameters=dict(row.parameters or {}),
        kernel_name=row.kernel_name,
        timeout=row.timeout,
        retries=row.retries,
        retry_backoff=row.retry_backoff,
        environment=dict(row.environment or {}),
        secret_environment=dict(row.secret_environment or {}),
        html=row.html,
        experiment=row.experiment,
    )


def _definition(row: SqlJobDefinition, last_status: JobStatus | None) -> JobDefinition:
    return JobDefinition(
        id=row.id,
        name=row.name,
        spec=_spec(row),
        notebook_id=row.notebook_id,
        schedule=row.schedule,
        timezone=row.timezone,
        max_concurrent_runs=row.max_concurrent_runs,
        missed=MissedPolicy(row.missed),
        keep_outputs=row.keep_outputs,
        active=row.active,
        next_run_at=row.next_run_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        snapshot_at=row.snapshot_at,
        last_status=last_status,
    )


def _run(row: SqlJobRun) -> JobRun:
    return JobRun(
        id=row.id,
        definition_id=row.definition_id,
        name=row.name,
        spec=_spec(row),
        notebook_id=row.notebook_id,
        run_id=row.run_id,
        trigger=Trigger(row.trigger),
        status=JobStatus(row.status),
        attempt=row.attempt,
        retry_of=row.retry_of,
        scheduled_for=row.scheduled_for,
        created_at=row.created_at,
        not_before=row.not_before,
        started_at=row.started_at,
        ended_at=row.ended_at,
        progress=Progress(
            cells_done=row.cells_done,
            cells_total=row.cells_total,
            current_cell=row.current_cell,
            cell_started_at=row.cell_started_at,
        ),
        error=row.error,
        error_name=row.error_name,
        error_cell=row.error_cell,
        traceback=row.traceback,
        output_dir=row.output_dir,
        outputs_deleted=row.outputs_deleted,
        cancel_requested=row.cancel_requested,
        scheduler_id=row.scheduler_id,
        host=row.host,
        pid=row.pid,
        heartbeat_at=row.heartbeat_at,
        pid_started_at=row.pid_started_at,
    )


def _last_statuses(session: Session, definition_ids: Sequence[int]) -> dict[int, JobStatus]:
    """Each definition's newest run's status."""
    if not definition_ids:
        return {}
    newest = (
        select(func.max(SqlJobRun.id))
        .where(SqlJobRun.definition_id.in_(definition_ids))
        .group_by(SqlJobRun.definition_id)
    )
    rows = session.execute(
        select(SqlJobRun.definition_id, SqlJobRun.status).where(SqlJobRun.id.in_(newest))
    ).all()
    return {int(definition_id or 0): JobStatus(status) for definition_id, status in rows}
