"""The model registry's logic: register a run's model, review it, name it, find it again.

`RegistryService` is what the REST handlers, the Python API, the command line and the
endpoints call. Registering copies the run's model folder to
`<artifact root>/models/<model id>/<version>/`, so that a version outlives its run; what
lineage needs of the run (its experiment, job, notebook, training data, metrics and params)
is written on the version at the same time. Approval checks the model's gates against the
run's latest metric values and the file's types against Studio's trust policy
(`studio.tracking.model_trust`): types outside it must be approved by name. What lineage
reads of a run, and where training data is recorded, is in `studio.registry.lineage`.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from studio.errors import Conflict, InvalidInput, NotFound, StudioError
from studio.registry.checks import (
    check_comment,
    check_description,
    check_tags,
    check_type_names,
    check_version,
)
from studio.registry.entities import ApprovalStatus, ModelVersion, RegisteredModel
from studio.registry.gates import GateResult, check_gates, validate_gates
from studio.registry.lineage import lineage_of, run_summary, untrusted_reasons
from studio.registry.store import RegistryStore
from studio.registry.uri import (
    DEFAULT_MODEL_PATH,
    RUNS_SCHEME,
    is_model_uri,
    parse_model_uri,
    parse_run_uri,
    validate_alias,
    validate_model_name,
)
from studio.tracking.artifacts import ArtifactRepository, safe_relative_path
from studio.tracking.model_trust import needs_approval, not_servable
from studio.tracking.models import (
    JOBLIB_FILE,
    META_FILE,
    SKOPS_FILE,
    load_model,
    read_model_meta,
)
from studio.tracking.validation import validate_run_id

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.tracking.service import TrackingService

__all__ = ["MODELS_FOLDER", "MODEL_FOLDER_FILES", "RegistryService"]

MODELS_FOLDER = "models"
MODEL_FOLDER_FILES = (META_FILE, SKOPS_FILE, JOBLIB_FILE)
"""The files of a model folder that clients may download."""


def _now_ms() -> int:
    return int(time.time() * 1000)


class RegistryService:
    """Registered models and versions over one database and one artifact root."""

    def __init__(
        self,
        database: Database,
        config: StudioConfig,
        tracking: TrackingService | None = None,
        clock: Callable[[], int] = _now_ms,
    ) -> None:
        from studio.tracking.service import TrackingService

        self.store = RegistryStore(database)
        self.config = config
        self.tracking = tracking or TrackingService.from_database(database, config)
        self.artifacts = ArtifactRepository()
        self.clock = clock

    @classmethod
    def from_database(cls, database: Database, config: StudioConfig) -> RegistryService:
        """The service factory of the registry's feature declaration."""
        return cls(database, config)

    @property
    def models_uri(self) -> str:
        """Where versions' model folders are copied: `<artifact root>/models`."""
        return f"{self.config.artifact_root.rstrip('/')}/{MODELS_FOLDER}"

    # Models -----------------------------------------------------------------------------

    def create_model(
        self,
        name: str,
        *,
        description: str = "",
        gates: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        return self.store.create_model(
            name=validate_model_name(name),
            description=check_description(description),
            gates=validate_gates(gates),
            tags=check_tags(tags),
            now=self.clock(),
        )

    def get_model(self, name: str) -> RegisteredModel:
        return self.store.get_model(name)

    def list_models(self, filter: str | None = None) -> list[RegisteredModel]:
        """Models by name; `filter` is part of a name, in any case."""
        return self.store.list_models(filter)

    def update_model(
        self,
        name: str,
        *,
        description: str | None = None,
        gates: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModel:
        """Change what is given (`gates` and `tags` replace the old ones)."""
        return self.store.update_model(
            name,
            description=None if description is None else check_description(description),
            gates=None if gates is None else validate_gates(gates),
            tags=None if tags is None else check_tags(tags),
            now=self.clock(),
        )

    def delete_model(self, name: str) -> None:
        """Delete a model, its versions and their copied files (Conflict while deployed)."""
        for path in self.store.delete_model(name):
            self._remove_files(path)

    # Versions ---------------------------------------------------------------------------

    def register(
        self,
        source: str,
        name: str,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
        actor: str | None = None,
    ) -> ModelVersion:
        """A new version of `name` (made if new) from a run's model: `source` is a run id
        (its "model" folder) or `runs:/<run id>/<path>`."""
        name = validate_model_name(name)
        run_id, path = _run_source(source)
        description = check_description(description)
        checked_tags = check_tags(tags)
        run = self.tracking.get_run(run_id)
        with tempfile.TemporaryDirectory(prefix="studio-register-") as scratch:
            folder = self.artifacts.download(run.artifact_uri, path, scratch)
            if not (folder / META_FILE).is_file():
                raise InvalidInput(
                    f"runs:/{run_id}/{path} is not a model folder (it has no {META_FILE}): "
                    "log one with run.log_model(model) or autolog."
                )
            meta = read_model_meta(folder)
            now = self.clock()
            model_id = self.store.ensure_model(name, now)
            number = self.store.next_version(model_id, now)
            self.artifacts.log_path(f"{self.models_uri}/{model_id}", folder, str(number))
        storage_path = f"{MODELS_FOLDER}/{model_id}/{number}"
        fields = {
            "source": f"{RUNS_SCHEME}{run_id}/{path}",
            "run_id": run_id,
            "artifact_path": path,
            "storage_path": storage_path,
            "format": meta.format,
            "sha256": meta.sha256,
            "flavor": meta.flavor,
            "model_class": meta.model_class,
            "untrusted_types": list(meta.untrusted_types),
            "signature": meta.signature,
            "input_example": meta.input_example,
            "lineage": lineage_of(run, self.tracking),
            "description": description,
            "created_by": actor,
            "created_at": now,
        }
        try:
            return self.store.add_version(
                model_id=model_id, version=number, fields=fields, tags=checked_tags
            )
        except BaseException:
            self._remove_files(storage_path)
            raise

    def get_version(self, name: str, version: int) -> ModelVersion:
        return self.store.get_version(name, check_version(version))

    def list_versions(self, name: str) -> list[ModelVersion]:
        """A model's versions, newest first."""
        return self.store.list_versions(name)

    def version_by_id(self, version_id: int) -> ModelVersion:
        return self.store.version_by_id(version_id)

    def resolve(self, uri: str) -> ModelVersion:
        """The version a `models:/` URI names now (by number, alias or latest)."""
        ref = parse_model_uri(uri)
        if ref.alias is not None:
            return self.store.version_by_alias(ref.name, ref.alias)
        if ref.version is not None:
            return self.store.get_version(ref.name, ref.version)
        return self.store.latest_version(ref.name)

    def update_version(
        self,
        name: str,
        version: int,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ModelVersion:
        return self.store.update_version(
            name,
            check_version(version),
            description=None if description is None else check_description(description),
            tags=None if tags is None else check_tags(tags),
            now=self.clock(),
        )

    def delete_version(self, name: str, version: int) -> None:
        """Delete a version, its aliases and its copied files (Conflict while deployed)."""
        self._remove_files(self.store.delete_version(name, check_version(version)))

    # Aliases ----------------------------------------------------------------------------

    def set_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        """Point `alias` at `version` (moving it there if it named another)."""
        return self.store.set_alias(
            name, validate_alias(alias), check_version(version), self.clock()
        )

    def delete_alias(self, name: str, alias: str) -> None:
        self.store.delete_alias(name, alias)

    # Review -----------------------------------------------------------------------------

    def gate_results(self, name: str, version: int) -> list[GateResult]:
        """The model's gates checked against the version's run (its latest metric values;
        the values recorded at registration once the run is deleted)."""
        found = self.get_version(name, version)
        gates = self.store.get_model(name).gates
        return check_gates(gates, self._metrics(found)) if gates else []

    def approve(
        self,
        name: str,
        version: int,
        *,
        actor: str | None = None,
        approve_types: Iterable[str] = (),
        comment: str = "",
    ) -> ModelVersion:
        """Approve a version for serving. Conflict, naming what stops it, when a gate fails,
        when the file holds types that cannot load outside their author's process, when
        types outside Studio's trust policy are not all in `approve_types` (or approved
        before), or when the file is a pickle."""
        found = self.get_version(name, version)
        granted = check_type_names(approve_types)
        comment = check_comment(comment)
        what = f"{name} version {found.version}"
        if found.format != "skops":
            raise Conflict(
                f"Cannot approve {what}: its model is a pickle ({found.format}), which runs its "
                "author's code when loaded. Log the model again with run.log_model (skops) and "
                "register that; load this one with load_model(..., trusted=True) if you trust it."
            )
        failed = [result for result in self.gate_results(name, found.version) if not result.passed]
        if failed:
            raise Conflict(
                f"Cannot approve {what}: its run fails the model's gates: "
                + "; ".join(result.message for result in failed)
                + "."
            )
        unservable = not_servable([*found.untrusted_types, found.model_class])
        if unservable:
            raise Conflict(
                f"Cannot approve {what}: {', '.join(unservable)} can only be loaded by the "
                "process that defined it (a lambda, or code in __main__). Define it in a "
                "module, log the model again and register that."
            )
        needed = needs_approval(found.untrusted_types)
        unknown = sorted(set(granted) - set(needed))
        if unknown:
            raise InvalidInput(
                f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not among the "
                f"types of {what} that need approval ({', '.join(needed) or 'none'})."
            )
        approved = [kind for kind in needed if kind in granted or kind in found.approved_types]
        missing = [kind for kind in needed if kind not in approved]
        if missing:
            raise Conflict(
                f"Cannot approve {what}: its model file holds types outside Studio's trusted "
                f"ones: {', '.join(missing)}. Loading them runs their code: approve them by "
                "name (approve_types) if you trust where they come from."
            )
        return self.store.set_status(
            name,
            found.version,
            expected=found.status,
            status=ApprovalStatus.APPROVED,
            by=actor,
            comment=comment,
            approved_types=approved,
            now=self.clock(),
        )

    def reject(
        self, name: str, version: int, *, actor: str | None = None, comment: str = ""
    ) -> ModelVersion:
        found = self.get_version(name, version)
        return self.store.set_status(
            name,
            found.version,
            expected=found.status,
            status=ApprovalStatus.REJECTED,
            by=actor,
            comment=check_comment(comment),
            approved_types=None,
            now=self.clock(),
        )

    def lineage(self, name: str, version: int) -> dict[str, Any]:
        """Where a version came from and where it went: its run (live, or as recorded at
        registration once deleted), job run, job definition, notebook, training data,
        deployments (endpoint events), gates and what its types need."""
        found = self.get_version(name, version)
        recorded = found.lineage
        run: dict[str, Any] | None = None
        if found.run_id is not None:
            try:
                record = self.tracking.get_run(found.run_id)
            except NotFound:
                record = None
            if record is not None:
                run = run_summary(record, self.tracking)
        if run is None and recorded.get("run"):
            run = {**recorded["run"], "deleted": True}
        gates = self.gate_results(name, found.version)
        return {
            "run": run,
            "job_run": recorded.get("job_run"),
            "job_definition": recorded.get("job_definition"),
            "notebook": recorded.get("notebook"),
            "dataset": recorded.get("dataset"),
            "deployments": self.store.deployments(found.id),
            "gates": gates,
            "needs_approval": needs_approval(found.untrusted_types),
            "not_servable": not_servable([*found.untrusted_types, found.model_class]),
            "untrusted_reasons": untrusted_reasons(found.untrusted_types),
        }

    # Files ------------------------------------------------------------------------------

    def model_folder(self, version: ModelVersion) -> Path:
        """The version's model folder on this machine: in place under a local artifact root,
        else downloaded once into `STUDIO_HOME/cache/models`."""
        fs, root = fsspec.core.url_to_fs(self.config.artifact_root)
        if isinstance(fs, LocalFileSystem):
            folder = Path(root) / version.storage_path
            if not folder.is_dir():
                raise NotFound(f"The files of {version.uri} are missing from {folder}.")
            return folder
        cache = self.config.home / "cache" / "models" / f"{version.id}-{version.sha256[:16]}"
        if not (cache / META_FILE).is_file():
            staging = Path(tempfile.mkdtemp(prefix="download-", dir=_made(cache.parent)))
            try:
                relative = version.storage_path.removeprefix(f"{MODELS_FOLDER}/")
                downloaded = self.artifacts.download(self.models_uri, relative, staging)
                shutil.rmtree(cache, ignore_errors=True)
                downloaded.rename(cache)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
        return cache

    def open_file(self, name: str, version: int, file: str) -> tuple[IO[bytes], int | None]:
        """An open stream of one file of a version's model folder (its metadata or its model
        file) and its size: what a remote client downloads to load it."""
        found = self.get_version(name, version)
        if file not in MODEL_FOLDER_FILES:
            raise NotFound(
                f"A version's folder has no file {file!r}: one of {', '.join(MODEL_FOLDER_FILES)}."
            )
        relative = found.storage_path.removeprefix(f"{MODELS_FOLDER}/")
        return self.artifacts.open(self.models_uri, f"{relative}/{file}")

    def load(self, uri_or_version: str | ModelVersion, *, trusted: bool = False) -> Any:
        """Load a version's model with the types approved on it (`trusted=True`: every type
        in the file, and pickles)."""
        found = (
            uri_or_version if not isinstance(uri_or_version, str) else self.resolve(uri_or_version)
        )
        return load_model(
            self.model_folder(found),
            trusted=trusted,
            approved_types=found.approved_types,
            sha256=found.sha256,
        )

    def _metrics(self, version: ModelVersion) -> dict[str, float]:
        if version.run_id is not None:
            try:
                record = self.tracking.get_run(version.run_id)
            except NotFound:
                record = None
            if record is not None:
                return {key: summary.last for key, summary in record.metrics.items()}
        return dict((version.lineage.get("run") or {}).get("metrics") or {})

    def _remove_files(self, storage_path: str) -> None:
        """Remove a version's copied files; a failure leaves files, never a broken registry."""
        relative = storage_path.removeprefix(f"{MODELS_FOLDER}/")
        try:
            fs, root = fsspec.core.url_to_fs(self.models_uri)
            target = f"{root.rstrip('/')}/{safe_relative_path(relative, allow_empty=False)}"
            if fs.exists(target):
                fs.rm(target, recursive=True)
        except (OSError, StudioError):
            pass


def _run_source(source: str) -> tuple[str, str]:
    if not isinstance(source, str) or not source.strip():
        raise InvalidInput("Register a run's model: give a run id or 'runs:/<run id>/<path>'.")
    if source.startswith(RUNS_SCHEME):
        return parse_run_uri(source)
    if is_model_uri(source):
        raise InvalidInput(
            f"{source!r} is already a registered version: register a run's model "
            "(a run id or 'runs:/<run id>/<path>')."
        )
    return validate_run_id(source.strip()), DEFAULT_MODEL_PATH


def _made(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder
