"""Endpoints' plain domain objects: configuration, variants, replicas, what a server loads.

Standard library only: the serving process imports these before anything heavy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

__all__ = [
    "DEFAULT_BIND_HOST",
    "Endpoint",
    "EndpointConfig",
    "Replica",
    "ServedVariant",
    "Task",
    "Variant",
    "VariantRole",
]

DEFAULT_BIND_HOST = "127.0.0.1"
"""Where an endpoint listens unless told otherwise; one without a token never leaves it."""


class VariantRole(str, Enum):
    PRIMARY = "primary"
    SHADOW = "shadow"


class Task(str, Enum):
    CLASSIFICATION = "classification"
    REGRESSION = "regression"


@dataclass(frozen=True)
class Variant:
    """A model version behind an endpoint. A primary variant answers its `weight`'s share
    of requests (relative to the others' weights); a shadow gets a copy of a `sampling`
    share of them and never answers."""

    name: str
    role: VariantRole
    model_uri: str
    model_name: str
    model_version: int
    weight: float = 1.0
    sampling: float = 1.0


@dataclass(frozen=True)
class Replica:
    """A `studio serve` process of an endpoint; `alive` when it beat recently."""

    id: str
    host: str
    bind_host: str
    port: int
    pid: int
    workers: int
    managed: bool
    started_at: int
    heartbeat_at: int
    stopped_at: int | None
    error: str | None
    alive: bool


@dataclass(frozen=True)
class Endpoint:
    name: str
    description: str
    config_version: int
    variants: tuple[Variant, ...]
    capture: float
    task: Task | None
    has_token: bool
    host: str
    port: int | None
    workers: int
    evaluation_since: int
    created_at: int
    updated_at: int
    replicas: tuple[Replica, ...] = ()

    @property
    def primaries(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.role is VariantRole.PRIMARY)

    @property
    def shadows(self) -> tuple[Variant, ...]:
        return tuple(v for v in self.variants if v.role is VariantRole.SHADOW)

    @property
    def running(self) -> bool:
        return any(replica.alive for replica in self.replicas)


@dataclass(frozen=True)
class ServedVariant:
    """Everything a serving worker needs to load and check one variant's model, resolved
    from the registry when the configuration was read."""

    name: str
    role: VariantRole
    weight: float
    sampling: float
    model_uri: str
    model_version_id: int
    model_name: str
    model_version: int
    # The model folder, relative to the artifact root; its file's sha256 is checked on load.
    storage_path: str
    format: str
    sha256: str
    # The types the loader may trust: Studio's policy's ones found in the file plus those
    # approved on the version.
    trusted_types: tuple[str, ...]
    signature: dict[str, Any] | None
    input_example: dict[str, Any] | None


@dataclass(frozen=True)
class EndpointConfig:
    """One configuration version of an endpoint, as a serving worker swaps it in whole."""

    endpoint_id: int
    name: str
    config_version: int
    capture: float
    task: Task | None
    token_hash: str | None
    variants: tuple[ServedVariant, ...] = field(default_factory=tuple)
    # The Jupyter server's key for its proxy routes (X-Studio-Proxy-Key), accepted in place
    # of the token.
    proxy_key: str | None = None
