"""The model registry from Python: `studio.register_model`; the rest is on `studio.Client`
(`get_model_version`, `set_model_alias`, `approve_model_version`, `load_model`, ...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from studio.registry.clients import registry_client

if TYPE_CHECKING:
    from studio.registry.entities import ModelVersion

__all__ = ["register_model"]


def register_model(
    run_id_or_uri: str,
    name: str,
    *,
    description: str = "",
    tags: Mapping[str, str] | None = None,
    tracking_uri: str | None = None,
) -> ModelVersion:
    """Register a run's model as the next version of `name` (1, 2, ...; the model is made
    if new). `run_id_or_uri` is a run id (its "model" folder) or `runs:/<run id>/<path>`.

    The model folder is copied, so the version outlives its run. It starts PENDING: approve
    it (`Client().approve_model_version`) before an endpoint serves it.
    """
    return registry_client(tracking_uri).register(
        run_id_or_uri, name, description=description, tags=tags
    )
