"""Notebook jobs' declaration at Studio's feature seam (see `studio.features`)."""

from __future__ import annotations

from studio.features import Command, Feature

FEATURE = Feature(
    name="jobs",
    # Starting a job runs code: a deployment may allow reading job runs but not starting them.
    auth_resource="studio.jobs",
    routes="studio.jobs.routes:ROUTES",
    service="studio.jobs.service:JobService.from_database",
    metadata="studio.jobs.orm:SqlJobRun.metadata",
    commands={
        "jobs": Command(
            help="notebook jobs: run, schedule, list, cancel", main="studio.jobs.cli:main"
        ),
        "scheduler": Command(
            help="run the notebook jobs' scheduler without JupyterLab",
            main="studio.jobs.scheduler_cli:main",
        ),
    },
    # A job run outlives its tracking run (its run_id becomes NULL by the foreign key).
    on_runs_deleted="studio.jobs.store:forget_tracking_runs",
)
