"""Every REST route of evaluation, training and AutoML, as the feature declaration names them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.evaluation.automl_handlers import ROUTES as AUTOML_ROUTES
from studio.evaluation.evaluation_handlers import ROUTES as EVALUATION_ROUTES
from studio.evaluation.training_handlers import ROUTES as TRAINING_ROUTES

if TYPE_CHECKING:
    from studio.web import Route

ROUTES: list[Route] = [*EVALUATION_ROUTES, *TRAINING_ROUTES, *AUTOML_ROUTES]
