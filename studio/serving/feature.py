"""Endpoints' declaration at Studio's feature seam (see `studio.features`)."""

from __future__ import annotations

from studio.features import Command, Feature

FEATURE = Feature(
    name="serving",
    # Starting an endpoint starts processes and opens a port: its own resource.
    auth_resource="studio.serving",
    routes="studio.serving.routes:ROUTES",
    service="studio.serving.service:EndpointService.from_database",
    metadata="studio.serving.orm:SqlEndpoint.metadata",
    commands={
        "serve": Command(
            help="serve an endpoint over HTTP (POST /invocations)",
            main="studio.serving.serve_cli:main",
        ),
        "endpoints": Command(
            help="endpoints: create, list, update weights, start, stop",
            main="studio.serving.cli:main",
        ),
    },
)
