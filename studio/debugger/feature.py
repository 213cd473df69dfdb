"""The training debugger's declaration at Studio's feature seam (see `studio.features`)."""

from __future__ import annotations

from studio.features import Feature

FEATURE = Feature(
    name="debugger",
    auth_resource="studio.debugger",
    routes="studio.debugger.routes:ROUTES",
    service="studio.debugger.service:DebuggerService",
    metadata="studio.debugger.orm:SqlFinding.metadata",
    # Findings and rule states go with their run; the run's tensor statistics are series
    # owned by the run, which tracking deletes itself.
    on_runs_deleted="studio.debugger.store:delete_run_rows",
)
