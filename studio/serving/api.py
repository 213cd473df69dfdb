"""Endpoints from Python: `create_endpoint`, `update_endpoint`, `get_endpoint`,
`list_endpoints`, `delete_endpoint`, `start_endpoint`, `stop_endpoint` (exported by
`studio.serving`).

    import studio.serving as serving

    serving.create_endpoint(
        "iris",
        variants={"A": ("models:/iris/1", 1.0), "B": ("models:/iris/2", 1.0)},
        shadows={"S": "models:/iris/3"},
        capture=1.0,
    )
    serving.start_endpoint("iris")                  # `studio serve iris` on this machine
    serving.update_endpoint("iris", weights={"A": 0.9, "B": 0.1})   # live, no restart

Variants name APPROVED registered versions by URI (an alias follows its moves). Weights are
relative shares. Through a Studio server (`STUDIO_TRACKING_URI=http(s)://...`) the server
starts the process, on its machine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from studio.serving.clients import endpoints_client

if TYPE_CHECKING:
    from studio.serving.entities import Endpoint, Task
    from studio.serving.service import ShadowSpec, VariantSpec

__all__ = [
    "create_endpoint",
    "delete_endpoint",
    "get_endpoint",
    "get_evaluation",
    "list_endpoints",
    "start_endpoint",
    "stop_endpoint",
    "update_endpoint",
]


def create_endpoint(
    name: str,
    variants: Mapping[str, VariantSpec],
    shadows: Mapping[str, ShadowSpec] | None = None,
    capture: float = 0.0,
    token: str | None = None,
    *,
    task: Task | str | None = None,
    description: str = "",
    tracking_uri: str | None = None,
) -> Endpoint:
    """A new endpoint: `variants` {name: (model URI, weight) or URI}, `shadows` {name: URI or
    (URI, share of requests copied)}, `capture` the share of requests written to Parquet, and
    an invocation `token` (without one the endpoint listens only on loopback)."""
    return endpoints_client(tracking_uri).create(
        name,
        variants,
        shadows or {},
        capture=capture,
        token=token,
        task=task,
        description=description,
    )


def update_endpoint(
    name: str,
    *,
    weights: Mapping[str, float] | None = None,
    variants: Mapping[str, VariantSpec] | None = None,
    shadows: Mapping[str, ShadowSpec] | None = None,
    remove: Sequence[str] = (),
    capture: float | None = None,
    description: str | None = None,
    tracking_uri: str | None = None,
) -> Endpoint:
    """Change an endpoint live: running servers take the new configuration within a second."""
    return endpoints_client(tracking_uri).update(
        name,
        weights=weights,
        variants=variants,
        shadows=shadows,
        remove=remove,
        capture=capture,
        description=description,
    )


def get_endpoint(name: str, *, tracking_uri: str | None = None) -> Endpoint:
    return endpoints_client(tracking_uri).get(name)


def get_evaluation(name: str, *, tracking_uri: str | None = None) -> dict[str, Any]:
    """The online evaluation of the endpoint's variants on the labelled traffic since its
    configuration last changed, as the panel shows it: `variants` (each one's labelled
    requests `n` and accuracy or mean absolute error) and `comparisons` (each challenger
    against the control: the test, its p-value, the traffic still needed, `winner` once
    significant, and a `message` such as "B beats A (p = 0.003)")."""
    return endpoints_client(tracking_uri).evaluation(name)


def list_endpoints(*, tracking_uri: str | None = None) -> list[Endpoint]:
    return endpoints_client(tracking_uri).list()


def delete_endpoint(name: str, *, tracking_uri: str | None = None) -> None:
    """Delete a stopped endpoint; its deployment history stays."""
    endpoints_client(tracking_uri).delete(name)


def start_endpoint(
    name: str,
    *,
    port: int | None = None,
    workers: int | None = None,
    tracking_uri: str | None = None,
) -> Endpoint:
    """Start `studio serve NAME` (it outlives this process) and return once it answers."""
    return endpoints_client(tracking_uri).start(name, port=port, workers=workers)


def stop_endpoint(name: str, *, tracking_uri: str | None = None) -> Endpoint:
    """Stop the endpoint's servers that Studio started (on this machine, or the server's)."""
    return endpoints_client(tracking_uri).stop(name)
