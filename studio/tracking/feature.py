"""Experiment tracking's declaration at Studio's feature seam (see `studio.features`)."""

from __future__ import annotations

from studio.features import Feature

FEATURE = Feature(
    name="tracking",
    auth_resource="studio.tracking",
    routes="studio.tracking.routes:ROUTES",
    service="studio.tracking.service:TrackingService.from_database",
    metadata="studio.tracking.orm:SqlRun.metadata",
    # Tracking deletes its own rows with the runs (store_rows.delete_run_rows); the hook is
    # for the packages whose rows belong to runs.
    on_runs_deleted=None,
)
