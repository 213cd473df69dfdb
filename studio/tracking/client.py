"""`studio.Client`: find experiments and runs again, from Python."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from studio.errors import NotFound
from studio.tracking.backends import TrackingBackend, connect
from studio.tracking.entities import (
    ArtifactInfo,
    Experiment,
    MetricHistory,
    RunList,
    RunRecord,
)
from studio.tracking.models import load_model

if TYPE_CHECKING:
    import pandas as pd

    from studio.debugger.backends import DebuggerBackend
    from studio.debugger.entities import Finding
    from studio.registry.clients import LocalRegistry, RestRegistry
    from studio.registry.entities import ModelVersion, RegisteredModel

ExperimentRef = str | int | Experiment


class Client:
    """Read (and manage) what was logged, locally or on a Studio server.

    `tracking_uri`: None for the environment's store (`STUDIO_TRACKING_URI`, else the local
    default), an `http(s)://` Studio server, an SQLAlchemy database URL, or a folder.
    """

    def __init__(self, tracking_uri: str | None = None) -> None:
        self._tracking_uri = tracking_uri
        self._connection = connect(tracking_uri)
        self._backend: TrackingBackend = self._connection.backend

    # Experiments ---------------------------------------------------------------------------

    def list_experiments(self, include_archived: bool = False) -> list[Experiment]:
        """Experiments with their run counts, most recently active first."""
        return self._backend.list_experiments(include_archived=include_archived)

    def get_experiment(self, experiment: ExperimentRef) -> Experiment:
        """An experiment by name or id."""
        if isinstance(experiment, Experiment):
            return experiment
        if isinstance(experiment, int) and not isinstance(experiment, bool):
            return self._backend.get_experiment(experiment)
        found = self._backend.get_experiment_by_name(str(experiment))
        if found is None:
            raise NotFound(f"No experiment is named {experiment!r}.")
        return found

    def create_experiment(
        self, name: str, description: str = "", tags: dict[str, str] | None = None
    ) -> Experiment:
        return self._backend.create_experiment(name, description, tags)

    def delete_experiment(self, experiment: ExperimentRef) -> None:
        """Delete an experiment with all its runs and their artifacts."""
        self._backend.delete_experiment(self.get_experiment(experiment).id)

    # Runs ----------------------------------------------------------------------------------

    def search_runs(
        self,
        experiment: ExperimentRef | Sequence[ExperimentRef] | None = None,
        filter: str | None = None,
        order_by: str | Sequence[str] | None = None,
        max_results: int = 1000,
        page_token: str | None = None,
    ) -> RunList:
        """Runs matching `filter`, e.g. "metrics.accuracy > 0.9 and params.max_depth = '3'".

        `order_by` takes names such as "metrics.accuracy desc"; the result's
        `next_page_token` fetches the following page.
        """
        if experiment is None:
            experiment_ids = None
        elif isinstance(experiment, str | int | Experiment):
            experiment_ids = [self.get_experiment(experiment).id]
        else:
            experiment_ids = [self.get_experiment(item).id for item in experiment]
        self._connection.writer.wait()
        page = self._backend.search_runs(
            experiment_ids,
            filter=filter,
            order_by=[order_by] if isinstance(order_by, str) else order_by,
            max_results=max_results,
            page_token=page_token,
        )
        return RunList(page.runs, page.next_page_token)

    def get_run(self, run_id: str) -> RunRecord:
        self._connection.writer.wait()
        return self._backend.get_run(run_id)

    def delete_run(self, run_id: str) -> None:
        """Delete a run, its child runs and their artifacts."""
        self._backend.delete_run(run_id)

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        max_points: int | None = None,
        min_step: int | None = None,
        max_step: int | None = None,
    ) -> MetricHistory:
        """Every point of a metric with a step in [min_step, max_step] (None: open), or at
        most `max_points` of them that keep every bucket's extremes."""
        self._connection.writer.wait()
        return self._backend.get_metric_history(
            run_id, key, max_points, min_step=min_step, max_step=max_step
        )

    # Artifacts and models ------------------------------------------------------------------

    def list_artifacts(self, run_id: str, path: str = "") -> list[ArtifactInfo]:
        return self._backend.list_artifacts(run_id, path)

    def download_artifacts(self, run_id: str, path: str, destination: str | Path = ".") -> Path:
        """Copy an artifact file or folder to `destination`; returns the local path."""
        Path(destination).mkdir(parents=True, exist_ok=True)
        return self._backend.download_artifacts(run_id, path, destination)

    def load_model(self, run_id_or_uri: str, name: str = "model", trusted: bool = False) -> Any:
        """Load a model that `Run.log_model` (or autolog) saved: a run id (its folder `name`),
        `runs:/<run id>/<path>`, or a registered version (`models:/iris/3`,
        `models:/iris@champion`, `models:/iris/latest`), which loads with the types approved
        on it. Types outside Studio's trusted ones, and pickles, load only with `trusted=True`
        (their code runs: only for models you trust)."""
        from studio.registry.uri import RUNS_SCHEME, is_model_uri, parse_run_uri

        if is_model_uri(run_id_or_uri):
            return self._registry().load(run_id_or_uri, trusted=trusted)
        run_id, path = (
            parse_run_uri(run_id_or_uri)
            if run_id_or_uri.startswith(RUNS_SCHEME)
            else (run_id_or_uri, name)
        )
        with tempfile.TemporaryDirectory(prefix="studio-model-") as folder:
            return load_model(self.download_artifacts(run_id, path, folder), trusted=trusted)

    # The model registry --------------------------------------------------------------------

    def register_model(
        self,
        run_id_or_uri: str,
        name: str,
        *,
        description: str = "",
        tags: dict[str, str] | None = None,
    ) -> ModelVersion:
        """Register a run's model (a run id, or `runs:/<run id>/<path>`) as the next
        version of `name`; see `studio.register_model`."""
        return self._registry().register(run_id_or_uri, name, description=description, tags=tags)

    def get_model_version(self, name: str, version: int | str) -> ModelVersion:
        """A version by number, or by `models:/` URI when `version` is an alias or "latest"
        (`get_model_version("iris", "champion")`)."""
        text = str(version)
        if text.isdigit():
            return self._registry().get_version(name, int(text))
        suffix = "/latest" if text.lower() == "latest" else f"@{text}"
        return self._registry().resolve(f"models:/{name}{suffix}")

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self._registry().get_model(name)

    def list_models(self, filter: str | None = None) -> list[RegisteredModel]:
        """Registered models by name; `filter` is part of a name, in any case."""
        return self._registry().list_models(filter)

    def list_model_versions(self, name: str) -> list[ModelVersion]:
        """A model's versions, newest first."""
        return self._registry().list_versions(name)

    def set_model_alias(self, name: str, alias: str, version: int) -> ModelVersion:
        """Point `alias` (`champion`) at `version`, moving it from any other version."""
        return self._registry().set_alias(name, alias, version)

    def delete_model_alias(self, name: str, alias: str) -> None:
        self._registry().delete_alias(name, alias)

    def approve_model_version(
        self,
        name: str,
        version: int,
        approve_types: Sequence[str] = (),
        comment: str = "",
    ) -> ModelVersion:
        """Approve a version for serving. Refused when its run fails the model's gates, or
        while its file holds types outside Studio's trusted ones that `approve_types` does
        not name (the refusal lists them)."""
        return self._registry().approve(name, version, approve_types=approve_types, comment=comment)

    def reject_model_version(self, name: str, version: int, comment: str = "") -> ModelVersion:
        return self._registry().reject(name, version, comment=comment)

    def set_model_gates(self, name: str, gates: dict[str, str]) -> RegisteredModel:
        """Replace the conditions a version's run must meet to be approved, e.g.
        `{"accuracy": ">= 0.9"}` (the model is made if new)."""
        registry = self._registry()
        try:
            registry.get_model(name)
        except NotFound:
            return registry.create_model(name, gates=gates)
        return registry.update_model(name, gates=gates)

    def delete_model_version(self, name: str, version: int) -> None:
        """Delete a version and its aliases (refused while an endpoint serves it)."""
        self._registry().delete_version(name, version)

    def _registry(self) -> LocalRegistry | RestRegistry:
        # Imported here: tracking never imports the registry unless asked about it.
        from studio.registry.clients import registry_client

        return registry_client(self._tracking_uri)

    # The training debugger -----------------------------------------------------------------

    def get_tensor_stats(
        self,
        run_id: str,
        tensor: str | Sequence[str] | None = None,
        stats: str | Sequence[str] | None = None,
        mode: str | None = None,
    ) -> pd.DataFrame:
        """The debugger's tensor statistics of a run, every point: a row per (tensor, mode,
        step), columns tensor, mode, step, timestamp and one per statistic (None: all ten);
        of some tensors (exact names), in one mode ("train", "eval", "predict")."""
        return self._debugger().get_tensor_stats(run_id, tensor, stats, mode)

    def get_findings(self, run_id: str) -> list[Finding]:
        """What the debugger's rules found on a run, in the order found."""
        return self._debugger().get_findings(run_id)

    def _debugger(self) -> DebuggerBackend:
        # Imported here: tracking never imports the debugger unless asked about it.
        from studio.debugger.backends import debugger_backend
        from studio.debugger.run_sink import flush_sinks

        flush_sinks(self._backend)
        return debugger_backend(self._backend)
