"""Job runs in the Studio store: queued, claimed, beating, ended, recovered, cleared.

One managed session per public method (STYLE.md rule 5). Every change of a job run's status
is a conditional UPDATE on the status it is expected to have, so that two schedulers racing
on one run (a claim, a recovery, a cancel meeting an end) leave exactly one winner, on SQLite
and on PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, update

from studio.errors import Conflict, InvalidInput, NotFound
from studio.jobs.entities import JobDefinition, JobRun, JobStatus, Progress, RunSpec, Trigger
from studio.jobs.orm import SqlJobDefinition, SqlJobRun
from studio.jobs.store_rows import LIVE, insert_for, new_run_columns, run_of
from studio.tracking.orm import SqlRun

if TYPE_CHECKING:
    from studio.db.engine import Database
    from studio.jobs.execution import Outcome

__all__ = ["JobRunRows"]


class JobRunRows:
    """The job runs part of `JobStore`."""

    db: Database

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
                **new_run_columns(
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
            return run_of(row)

    def claim_occurrence(
        self, definition: JobDefinition, scheduled_for: int, now: int
    ) -> JobRun | None:
        """Queue the run of one scheduled occurrence, or None when a scheduler already did:
        the unique (definition, occurrence) key makes the insert a lease."""
        columns = new_run_columns(
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
                insert_for(session, SqlJobRun)
                .values(scheduled_for=scheduled_for, **columns)
                .on_conflict_do_nothing(index_elements=["definition_id", "scheduled_for"])
                .returning(SqlJobRun.id)
            )
            claimed = session.execute(statement).scalar_one_or_none()
            if claimed is None:
                return None
            row = session.get(SqlJobRun, claimed)
            assert row is not None
            return run_of(row)

    def get_run(self, job_run_id: int) -> JobRun:
        with self.db.session() as session:
            row = session.get(SqlJobRun, job_run_id)
            if row is None:
                raise NotFound(f"No job run has id {job_run_id}.")
            return run_of(row)

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
            return [run_of(row) for row in rows], total

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
            return run_of(row)

    def claim_queued(self, scheduler_id: str, host: str, limit: int, now: int) -> list[JobRun]:
        """Take up to `limit` QUEUED runs whose time has come, oldest first, for this
        scheduler: each becomes RUNNING, owned by it. A definition's `max_concurrent_runs`
        counts its runs RUNNING on every scheduler."""
        if limit <= 0:
            return []
        with self.db.session(write=True) as session:
            # Runs of definitions already at their limit wait without taking the places of
            # others: a busy every-minute job must not starve a "run now" behind it.
            running_counts = (
                select(SqlJobRun.definition_id, func.count().label("running"))
                .where(
                    SqlJobRun.status == JobStatus.RUNNING.value,
                    SqlJobRun.definition_id.is_not(None),
                )
                .group_by(SqlJobRun.definition_id)
                .subquery()
            )
            full = (
                select(SqlJobDefinition.id)
                .join(running_counts, running_counts.c.definition_id == SqlJobDefinition.id)
                .where(running_counts.c.running >= SqlJobDefinition.max_concurrent_runs)
            )
            candidates = session.scalars(
                select(SqlJobRun)
                .where(
                    SqlJobRun.status == JobStatus.QUEUED.value,
                    (SqlJobRun.not_before.is_(None)) | (SqlJobRun.not_before <= now),
                    SqlJobRun.definition_id.is_(None) | SqlJobRun.definition_id.not_in(full),
                )
                .order_by(SqlJobRun.id)
                .limit(limit * 4 + 16)
                .with_for_update(skip_locked=True)
            ).all()
            definition_ids = {row.definition_id for row in candidates if row.definition_id}
            if definition_ids:
                # Two schedulers claiming runs of one definition at once each count the
                # other's claims only once committed: the definition's row serialises them
                # (PostgreSQL; SQLite's writers are serialised already).
                session.execute(
                    select(SqlJobDefinition.id)
                    .where(SqlJobDefinition.id.in_(sorted(definition_ids)))
                    .order_by(SqlJobDefinition.id)
                    .with_for_update()
                ).all()
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
                    claimed.append(run_of(row))
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
            return run_of(row)

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
            return run_of(row)

    def stale_runs(self, older_than: int) -> list[JobRun]:
        """RUNNING runs whose last heartbeat is older than `older_than` (ms since the epoch)."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobRun).where(
                    SqlJobRun.status == JobStatus.RUNNING.value,
                    SqlJobRun.heartbeat_at < older_than,
                )
            ).all()
            return [run_of(row) for row in rows]

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
            return run_of(row)

    def delete_run(self, job_run_id: int) -> JobRun:
        """Delete a finished run's row (the caller removes its outputs)."""
        with self.db.session(write=True) as session:
            row = session.get(SqlJobRun, job_run_id, with_for_update=True)
            if row is None:
                raise NotFound(f"No job run has id {job_run_id}.")
            if row.status in LIVE:
                raise Conflict(f"Job run {job_run_id} is {row.status}: cancel it first.")
            found = run_of(row)
            session.delete(row)
            return found

    def runs_past_retention(self, definition_id: int, keep: int) -> list[JobRun]:
        """Finished runs of a definition beyond the newest `keep` that still have outputs."""
        with self.db.session() as session:
            rows = session.scalars(
                select(SqlJobRun)
                .where(
                    SqlJobRun.definition_id == definition_id,
                    SqlJobRun.status.not_in(LIVE),
                    SqlJobRun.outputs_deleted.is_(False),
                )
                .order_by(SqlJobRun.id.desc())
                .offset(keep)
            ).all()
            return [run_of(row) for row in rows]

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
        query = select(SqlJobRun).where(SqlJobRun.status.in_(LIVE))
        if scheduler_id is not None:
            query = query.where(SqlJobRun.scheduler_id == scheduler_id)
        with self.db.session() as session:
            return [run_of(row) for row in session.scalars(query.order_by(SqlJobRun.id)).all()]

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
