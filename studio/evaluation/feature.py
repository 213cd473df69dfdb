"""Evaluation's declaration at Studio's feature seam (see `studio.features`).

It has no tables of its own: an evaluation is a run's artifacts
(`studio.tracking.evaluation_record`), a training job is a job run, and an AutoML search is a
parent run whose candidates are child runs (`studio.evaluation.automl_record`).
"""

from __future__ import annotations

from studio.features import Feature

FEATURE = Feature(
    name="evaluation",
    # Training and AutoML run code (a job's notebook): a deployment may allow reading
    # evaluations but not starting trainings.
    auth_resource="studio.evaluation",
    routes="studio.evaluation.routes:ROUTES",
    service="studio.evaluation.service:EvaluationService.from_database",
    metadata="studio.db.base:Base.metadata",
)
