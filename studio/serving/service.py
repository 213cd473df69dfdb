"""Endpoints' logic: configuration checked against the registry, replicas, start and stop.

`EndpointService` is what the REST handlers, the Python API, `studio endpoints` and the
serving process (`studio serve`: `config`, `config_stamp`, replicas) call. A variant names a
model version by URI ("models:/iris/2", "models:/iris@champion"); only an APPROVED version
may be served. Weights are relative shares, as SageMaker's VariantWeight: they need not sum
to 1. Times are milliseconds since the epoch, from an injectable clock.
"""

from __future__ import annotations

import builtins
import re
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from studio.errors import Conflict, InvalidInput, NotFound
from studio.registry.entities import ApprovalStatus
from studio.registry.service import RegistryService
from studio.serving.entities import (
    DEFAULT_BIND_HOST,
    Endpoint,
    EndpointConfig,
    Replica,
    ServedVariant,
    Task,
    VariantRole,
)
from studio.serving.store import EndpointStore
from studio.serving.store_rows import VariantRow
from studio.serving.tokens import check_token, hash_token, new_proxy_key
from studio.serving.validation import (
    MAX_VARIANTS,
    check_capture,
    check_description,
    check_endpoint_name,
    check_host,
    check_port,
    check_sampling,
    check_task,
    check_variant_name,
    check_weight,
    check_workers,
    is_loopback,
    spec_pair,
)
from studio.tracking.model_trust import trusted_for_loading

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.registry.entities import ModelVersion

__all__ = ["UNCHANGED", "EndpointService", "ShadowSpec", "VariantSpec"]

_ALIAS_URI = re.compile(r"^models:/(?P<model>[^/@]+)@(?P<alias>[^/@]+)$")


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()
"""A keyword's default where None means something (no token, no task)."""

VariantSpec = tuple[str, float] | str
"""A primary variant: its model URI with a weight, or the URI alone (weight 1)."""
ShadowSpec = str | tuple[str, float]
"""A shadow: its model URI, or the URI with the share of requests copied to it."""


def _now_ms() -> int:
    return int(time.time() * 1000)


class EndpointService:
    """Endpoints over one database, their variants resolved through the model registry."""

    def __init__(
        self,
        database: Database,
        config: StudioConfig,
        registry: RegistryService | None = None,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        self.store = EndpointStore(database)
        self.database = database
        # `config(name)` is an endpoint's serving configuration; this is Studio's.
        self.studio_config = config
        self._registry = registry
        self.clock = clock
        # Per endpoint: the config_version its aliases were read at, and those aliases.
        self._watched: dict[str, tuple[int, list[tuple[str, str]]]] = {}

    @classmethod
    def from_database(cls, database: Database, config: StudioConfig) -> EndpointService:
        """The service factory of the serving feature declaration."""
        return cls(database, config)

    @property
    def registry(self) -> RegistryService:
        if self._registry is None:
            self._registry = RegistryService.from_database(self.database, self.studio_config)
        return self._registry

    # Configuration -------------------------------------------------------------------------

    def create(
        self,
        name: str,
        variants: Mapping[str, VariantSpec],
        *,
        shadows: Mapping[str, ShadowSpec] | None = None,
        capture: float = 0.0,
        token: str | None = None,
        task: Task | str | None = None,
        description: str = "",
        host: str = DEFAULT_BIND_HOST,
        port: int | None = None,
        workers: int = 1,
        actor: str | None = None,
    ) -> Endpoint:
        """A new endpoint serving `variants` ({name: (model URI, weight)}) and copying
        requests to `shadows` ({name: model URI or (URI, sampling share)})."""
        check_endpoint_name(name)
        if not variants:
            raise InvalidInput(f"Endpoint {name!r} needs at least one variant.")
        rows = self._variant_rows(variants, shadows or {})
        check_description(description)
        return self.store.create_endpoint(
            name=name,
            description=description,
            capture=check_capture(capture),
            task=check_task(task),
            token_hash=hash_token(check_token(token)) if token is not None else None,
            proxy_key=new_proxy_key(),
            host=check_host(host, has_token=token is not None),
            port=check_port(port),
            workers=check_workers(workers),
            variants=rows,
            actor=actor,
            now=self.clock(),
        )

    def update(
        self,
        name: str,
        *,
        weights: Mapping[str, float] | None = None,
        variants: Mapping[str, VariantSpec] | None = None,
        shadows: Mapping[str, ShadowSpec] | None = None,
        remove: Sequence[str] = (),
        capture: float | None = None,
        token: str | None = UNCHANGED,
        task: Task | str | None = UNCHANGED,
        description: str | None = None,
        actor: str | None = None,
    ) -> Endpoint:
        """Change an endpoint live: `weights` of its primaries, `variants` and `shadows`
        added (or replaced, by name), `remove`d ones; a new configuration version that
        running servers pick up within a second."""
        if isinstance(remove, str):
            raise InvalidInput("remove= takes a list of variant names.")
        for variant_name in remove:
            check_variant_name(variant_name)
        checked_weights = None
        if weights is not None:
            checked_weights = {
                check_variant_name(key): check_weight(key, value) for key, value in weights.items()
            }
        upsert = self._variant_rows(variants or {}, shadows or {}) if variants or shadows else []
        if set(remove) & {row.name for row in upsert}:
            raise InvalidInput("A variant cannot be both removed and added in one change.")
        settings: dict[str, Any] = {}
        if capture is not None:
            settings["capture"] = check_capture(capture)
        if description is not None:
            settings["description"] = check_description(description)
        if task is not UNCHANGED:
            settings["task"] = check_task(task)
        if token is not UNCHANGED:
            settings["token_hash"] = hash_token(check_token(token)) if token is not None else None
            if token is None:
                current = self.store.get_endpoint(name, self.clock())
                if not is_loopback(current.host):
                    raise InvalidInput(
                        f"Endpoint {name!r} listens on {current.host}: it cannot lose its token "
                        "(an endpoint without a token listens only on loopback)."
                    )
        if not (checked_weights or upsert or remove or settings):
            raise InvalidInput("Nothing to change: give weights, variants, remove or a setting.")
        return self.store.update_endpoint(
            name,
            weights=checked_weights,
            upsert=upsert,
            remove=list(remove),
            settings=settings,
            actor=actor,
            now=self.clock(),
        )

    def get(self, name: str) -> Endpoint:
        return self.store.get_endpoint(name, self.clock())

    def list(self) -> builtins.list[Endpoint]:
        return self.store.list_endpoints(self.clock())

    def delete(self, name: str, *, actor: str | None = None) -> None:
        """Delete a stopped endpoint (Conflict while a replica of it is alive)."""
        self.store.delete_endpoint(name, actor=actor, now=self.clock())

    def events(self, name: str) -> builtins.list[dict[str, Any]]:
        return self.store.events(name)

    # What a serving process reads --------------------------------------------------------

    def config(self, name: str) -> EndpointConfig:
        """The endpoint's configuration as a server loads it: each variant's URI resolved now
        (an alias follows its moves). Conflict when a variant resolves to a version that is
        not approved: the server keeps what it served."""
        row = self.store.endpoint_row(name)
        served = []
        for variant in row.variants:
            version = self._approved(variant.model_uri, variant.name)
            served.append(
                ServedVariant(
                    name=variant.name,
                    role=variant.role,
                    weight=variant.weight,
                    sampling=variant.sampling,
                    model_uri=variant.model_uri,
                    model_version_id=version.id,
                    model_name=version.name,
                    model_version=version.version,
                    storage_path=version.storage_path,
                    format=version.format,
                    sha256=version.sha256,
                    trusted_types=tuple(
                        trusted_for_loading(version.untrusted_types, version.approved_types)
                    ),
                    signature=version.signature,
                    input_example=version.input_example,
                )
            )
        return EndpointConfig(
            endpoint_id=row.id,
            name=row.name,
            config_version=row.config_version,
            capture=row.capture,
            task=row.task,
            token_hash=row.token_hash,
            variants=tuple(served),
            proxy_key=row.proxy_key,
        )

    def config_stamp(self, name: str) -> tuple[int, int]:
        """(config_version, newest alias move among the aliases its variants name): when it
        changes, a server reads `config` again. Polled every half second by each worker, so
        it is one small query while the version stays."""
        watched = self._watched.get(name)
        version, moved = self.store.config_stamp(name, watched[1] if watched else ())
        if watched is None or watched[0] != version:
            # The variants, so the aliases to watch, change only with the version.
            row = self.store.endpoint_row(name)
            aliases = [
                (match["model"], match["alias"])
                for variant in row.variants
                if (match := _ALIAS_URI.match(variant.model_uri))
            ]
            self._watched[name] = (row.config_version, aliases)
            version, moved = self.store.config_stamp(name, aliases)
        return version, moved

    def endpoint_id(self, name: str) -> int:
        return self.store.endpoint_id(name)

    # Replicas ----------------------------------------------------------------------------

    def register_replica(
        self,
        name: str,
        *,
        host: str,
        bind_host: str,
        port: int,
        pid: int,
        pgid: int,
        pid_started_at: float,
        workers: int,
        managed: bool = False,
    ) -> str:
        """Record a serving process of `name`; returns its replica id (it beats with it)."""
        replica_id = uuid.uuid4().hex
        self.store.register_replica(
            name,
            replica_id=replica_id,
            host=host,
            bind_host=bind_host,
            port=port,
            pid=pid,
            pgid=pgid,
            pid_started_at=pid_started_at,
            workers=workers,
            managed=managed,
            now=self.clock(),
        )
        return replica_id

    def beat(self, replica_id: str) -> None:
        self.store.beat(replica_id, self.clock())

    def replica_stopped(self, replica_id: str, error: str | None = None) -> None:
        self.store.replica_stopped(replica_id, error, self.clock())

    def replicas(self, name: str) -> builtins.list[Replica]:
        return self.store.replicas(name, self.clock())

    def start(
        self,
        name: str,
        *,
        host: str | None = None,
        port: int | None = None,
        workers: int | None = None,
        token: str | None = None,
        actor: str | None = None,
    ) -> Replica:
        """Start a `studio serve` process for `name` on this machine (it outlives the caller)
        and return its replica once it answers /ping."""
        # Imported here: `process` imports `studio serve`'s module, which imports this one.
        from studio.serving.process import start_replica

        return start_replica(
            self, name, host=host, port=port, workers=workers, token=token, actor=actor
        )

    def stop(self, name: str, *, actor: str | None = None) -> builtins.list[Replica]:
        """Stop the replicas of `name` that Studio started on this machine; returns them."""
        from studio.serving.process import stop_replicas

        return stop_replicas(self, name, actor=actor)

    def proxy_target(self, name: str) -> tuple[str, dict[str, str]]:
        """The base URL of a live replica of `name` and the headers that let the Jupyter
        server's proxy in. NotFound-free: Conflict when none is alive."""
        from studio.serving.process import proxy_target

        return proxy_target(self, name)

    # Checks ------------------------------------------------------------------------------

    def _variant_rows(
        self, variants: Mapping[str, VariantSpec], shadows: Mapping[str, ShadowSpec]
    ) -> builtins.list[VariantRow]:
        if len(variants) + len(shadows) > MAX_VARIANTS:
            raise InvalidInput(f"An endpoint has at most {MAX_VARIANTS} variants and shadows.")
        clash = set(variants) & set(shadows)
        if clash:
            raise InvalidInput(f"Variant names used twice: {', '.join(sorted(clash))}.")
        rows = []
        for variant_name, spec in variants.items():
            uri, weight = (spec, 1.0) if isinstance(spec, str) else spec_pair(spec, variant_name)
            version = self._approved(uri, check_variant_name(variant_name))
            rows.append(
                VariantRow(
                    variant_name,
                    VariantRole.PRIMARY,
                    uri,
                    version.id,
                    weight=check_weight(variant_name, weight),
                )
            )
        for variant_name, spec in shadows.items():
            uri, sampling = (spec, 1.0) if isinstance(spec, str) else spec_pair(spec, variant_name)
            version = self._approved(uri, check_variant_name(variant_name))
            rows.append(
                VariantRow(
                    variant_name,
                    VariantRole.SHADOW,
                    uri,
                    version.id,
                    sampling=check_sampling(variant_name, sampling),
                )
            )
        return rows

    def _approved(self, uri: str, variant_name: str) -> ModelVersion:
        if not isinstance(uri, str):
            raise InvalidInput(f"Variant {variant_name!r} needs a model URI, e.g. models:/iris/1.")
        try:
            version = self.registry.resolve(uri)
        except NotFound as exc:
            raise NotFound(f"Variant {variant_name!r}: {exc.message}") from exc
        if version.status is not ApprovalStatus.APPROVED:
            raise Conflict(
                f"Variant {variant_name!r}: {uri} is version {version.version} of "
                f"{version.name!r}, which is {version.status.value}: only an approved version "
                "can be served (approve it in the registry first)."
            )
        return version
