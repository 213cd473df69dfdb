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
