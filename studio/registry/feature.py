"""The model registry's declaration at Studio's feature seam (see `studio.features`)."""

from __future__ import annotations

from studio.features import Command, Feature

FEATURE = Feature(
    name="registry",
    # Approving a version lets endpoints load its code: a deployment may allow reading the
    # registry but not changing it.
    auth_resource="studio.registry",
    routes="studio.registry.routes:ROUTES",
    service="studio.registry.service:RegistryService.from_database",
    metadata="studio.registry.orm:SqlRegisteredModel.metadata",
    commands={
        "models": Command(
            help="the model registry: register, list, alias, approve",
            main="studio.registry.cli:main",
        ),
    },
    # A version outlives its run: its model files were copied at registration.
    on_runs_deleted="studio.registry.store:forget_runs",
)
