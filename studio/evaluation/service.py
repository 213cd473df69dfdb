"""Evaluation's service: reads runs' evaluations and AutoML searches through tracking.

Training and AutoML jobs are submitted through the jobs' service by their handlers (as the
batch transform's are); what this service adds is reading what those jobs wrote.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from pydantic import ValidationError

from studio.evaluation.schemas import EvaluationOut, EvaluationsOut
from studio.tracking.evaluation_record import read_evaluations

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.evaluation.schemas import AutoMLDetailOut, AutoMLsOut
    from studio.tracking.service import TrackingService

__all__ = ["EvaluationService"]

_logger = logging.getLogger(__name__)


class EvaluationService:
    """Runs' evaluations and AutoML leaderboards over one database and one artifact root."""

    def __init__(
        self, database: Database, config: StudioConfig, tracking: TrackingService | None = None
    ) -> None:
        from studio.tracking.service import TrackingService

        self.config = config
        self.tracking = tracking or TrackingService.from_database(database, config)
        # Evaluation has no tables: what it reads, it reads from tracking's store.
        self.store = self.tracking.store

    @classmethod
    def from_database(cls, database: Database, config: StudioConfig) -> EvaluationService:
        """The service factory of evaluation's feature declaration."""
        return cls(database, config)

    # Evaluations -----------------------------------------------------------------------------

    def evaluations(self, run_id: str) -> EvaluationsOut:
        """A run's evaluations, newest first (NotFound for an unknown run). A record that does
        not fit the wire model (written by another version) is left out with a warning."""
        found = []
        for record in read_evaluations(self.tracking, run_id):
            try:
                found.append(EvaluationOut.model_validate(record))
            except ValidationError as exc:
                _logger.warning(
                    "Skipping evaluation %r of run %s: %s", record.get("label"), run_id, exc
                )
        return EvaluationsOut(run_id=run_id, evaluations=found)

    # AutoML (AUTOML) -----------------------------------------------------------------------

    def list_automl(self, experiment_id: int | None = None, max_results: int = 100) -> AutoMLsOut:
        """AutoML searches (parent runs tagged `studio.automl`), newest first."""
        from studio.evaluation import automl_record
        from studio.evaluation.schemas import AutoMLsOut

        experiment_ids = None if experiment_id is None else [experiment_id]
        if experiment_id is not None:
            self.tracking.get_experiment(experiment_id)  # 404 for an unknown experiment
        page = self.tracking.search_runs(
            experiment_ids,
            filter=f"tags.`{automl_record.AUTOML_TAG}` = '1'",
            order_by=["start_time desc"],
            max_results=max_results,
        )
        return AutoMLsOut(
            automls=[automl_record.read_automl(run, self.tracking) for run in page.runs]
        )

    def get_automl(self, run_id: str) -> AutoMLDetailOut:
        """One search with its leaderboard; NotFound for an unknown run or one that is not an
        AutoML search."""
        from studio.errors import NotFound
        from studio.evaluation import automl_record

        run = self.tracking.get_run(run_id)
        if not automl_record.is_automl(run):
            raise NotFound(f"Run {run_id} is not an AutoML search.")
        return automl_record.read_leaderboard(run, self.tracking)
