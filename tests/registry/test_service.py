"""The registry's service and store on a real database (SQLite, and PostgreSQL where
STUDIO_TEST_DB_URL names a server) with real skops model files."""

from __future__ import annotations

import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.errors import Conflict, InvalidInput, NotFound, UntrustedModel
from studio.registry.entities import ApprovalStatus
from studio.serving.service import EndpointService
from studio.tracking.models import META_FILE
from tests.registry.models import (
    ROWS,
    forest,
    logistic,
    rounding,
    run_with_model,
    write_forged_folder,
    write_pickle_folder,
)

if TYPE_CHECKING:
    from studio.config import StudioConfig
    from studio.db.engine import Database
    from studio.registry.service import RegistryService


def test_versions_count_from_one_and_are_never_reused(registry: RegistryService) -> None:
    run_id = run_with_model(registry.tracking, logistic())
    assert [registry.register(run_id, "iris").version for _ in range(3)] == [1, 2, 3]
    registry.set_alias("iris", "champion", 3)
    registry.delete_version("iris", 3)
    registry.delete_version("iris", 2)
    assert registry.register(f"runs:/{run_id}/model", "iris").version == 4
    model = registry.get_model("iris")
    assert (model.latest_version, model.version_count, model.aliases) == (4, 2, {})
    assert [found.version for found in registry.list_versions("iris")] == [4, 1]
    with pytest.raises(NotFound, match="no alias 'champion'"):
        registry.resolve("models:/iris@champion")
    # The copy of a deleted version is gone; a kept one's is there.
    root = Path(registry.config.artifact_root) / "models"
    assert sorted(path.name for path in next(root.iterdir()).iterdir()) == ["1", "4"]


def test_aliases_resolve_and_move(registry: RegistryService) -> None:
    run_id = run_with_model(registry.tracking, logistic())
    for _ in range(2):
        registry.register(run_id, "iris")
    registry.set_alias("iris", "champion", 1)
    registry.set_alias("iris", "challenger", 1)
    assert registry.resolve("models:/iris@champion").aliases == ("challenger", "champion")
    moved = registry.set_alias("iris", "champion", 2)
    assert moved.aliases == ("champion",)
    assert registry.resolve("models:/iris@champion").version == 2
    assert registry.resolve("models:/iris/latest").version == 2
    assert registry.resolve("models:/iris/1").aliases == ("challenger",)
    assert registry.get_model("iris").aliases == {"challenger": 1, "champion": 2}
    registry.delete_alias("iris", "challenger")
    with pytest.raises(NotFound):
        registry.delete_alias("iris", "challenger")
    with pytest.raises(InvalidInput, match="reserved"):
        registry.set_alias("iris", "latest", 1)
    with pytest.raises(NotFound, match="no version 9"):
        registry.set_alias("iris", "x", 9)


def test_models_are_made_described_tagged_filtered_and_deleted(
    registry: RegistryService,
) -> None:
    made = registry.create_model("Iris-Classifier", description="d", gates={"acc": ">=0.9"})
    assert (made.gates, made.latest_version, made.version_count) == ({"acc": ">= 0.9"}, None, 0)
    with pytest.raises(Conflict, match="already exists"):
        registry.create_model("Iris-Classifier")
    registry.create_model("wine")
    changed = registry.update_model("Iris-Classifier", tags={"team": "a"}, description="e")
    assert (changed.tags, changed.description, changed.gates) == ({"team": "a"}, "e", made.gates)
    assert [model.name for model in registry.list_models("iris")] == ["Iris-Classifier"]
    assert [model.name for model in registry.list_models("_")] == []
    with pytest.raises(InvalidInput, match="condition"):
        registry.update_model("wine", gates={"acc": "high"})
    registry.delete_model("wine")
    assert [model.name for model in registry.list_models()] == ["Iris-Classifier"]


def test_gates_refuse_approval_naming_the_metric(registry: RegistryService) -> None:
    run_id = run_with_model(registry.tracking, forest(), metrics={"accuracy": 0.85})
    registry.create_model("iris", gates={"accuracy": ">= 0.9"})
    registry.register(run_id, "iris")
    with pytest.raises(Conflict, match=r"accuracy >= 0\.9: 0\.85 fails"):
        registry.approve("iris", 1)
    assert registry.get_version("iris", 1).status is ApprovalStatus.PENDING
    registry.tracking.log_batch(run_id, metrics=[("accuracy", 0.93, 1, 2)])
    # A forest's Tree is trusted by Studio's policy: nothing to approve by name.
    approved = registry.approve("iris", 1, actor="ana", comment="ok")
    assert (approved.status, approved.status_by, approved.status_comment) == (
        ApprovalStatus.APPROVED,
        "ana",
        "ok",
    )
    assert approved.status_at is not None
    rejected = registry.reject("iris", 1, actor="bo")
    assert (rejected.status, rejected.status_by) == (ApprovalStatus.REJECTED, "bo")


def test_untrusted_types_are_approved_by_name_and_then_load(registry: RegistryService) -> None:
    registry.register(run_with_model(registry.tracking, rounding()), "iris")
    assert registry.get_version("iris", 1).untrusted_types == ("numpy.around",)
    with pytest.raises(Conflict, match=r"numpy\.around"):
        registry.approve("iris", 1)
    with pytest.raises(UntrustedModel, match=r"numpy\.around"):
        registry.load("models:/iris/1")
    with pytest.raises(InvalidInput, match=r"os\.system"):
        registry.approve("iris", 1, approve_types=["numpy.around", "os.system"])
    approved = registry.approve("iris", 1, approve_types=["numpy.around"])
    assert approved.approved_types == ("numpy.around",)
    registry.set_alias("iris", "champion", 1)
    model = registry.load("models:/iris@champion")
    assert model.predict(ROWS[:4]).tolist() == rounding().predict(ROWS[:4]).tolist()
    assert registry.lineage("iris", 1)["needs_approval"] == ["numpy.around"]


def test_the_types_to_approve_are_read_from_the_file_not_its_metadata(
    registry: RegistryService,
) -> None:
    # The metadata is written by whoever logged the run: it may hide a type from the reviewer.
    run_id = run_with_model(registry.tracking, rounding())
    model_folder = Path(registry.tracking.get_run(run_id).artifact_uri) / "model"
    meta = json.loads((model_folder / META_FILE).read_text())
    (model_folder / META_FILE).write_text(json.dumps({**meta, "untrusted_types": []}))
    assert registry.register(run_id, "iris").untrusted_types == ("numpy.around",)
    with pytest.raises(Conflict, match=r"numpy\.around"):
        registry.approve("iris", 1)
    # A model file that is not the one its metadata describes is not registered at all.
    (model_folder / META_FILE).write_text(json.dumps({**meta, "sha256": "0" * 64}))
    with pytest.raises(InvalidInput, match="changed after it was logged"):
        registry.register(run_id, "iris")


def test_types_only_their_author_can_load_are_never_approved(
    registry: RegistryService, tmp_path: Path
) -> None:
    folder = write_forged_folder(tmp_path / "model", "__main__.ratio")
    run_id = run_with_model(registry.tracking, logistic())
    registry.tracking.log_artifact(run_id, folder, "model")
    registry.register(run_id, "iris")
    with pytest.raises(Conflict, match=r"__main__\.ratio can only be loaded by the process"):
        registry.approve("iris", 1, approve_types=["__main__.ratio"])
    assert registry.lineage("iris", 1)["not_servable"] == ["__main__.ratio"]


def test_pickles_load_only_when_trusted_and_are_never_approved(
    registry: RegistryService,
) -> None:
    run_id = run_with_model(registry.tracking, logistic())
    with tempfile.TemporaryDirectory() as scratch:
        folder = write_pickle_folder(Path(scratch) / "model", logistic())
        registry.tracking.log_artifact(run_id, folder, "model")
    version = registry.register(run_id, "old")
    assert version.format == "joblib"
    with pytest.raises(UntrustedModel, match="trusted=True"):
        registry.load("models:/old/1")
    assert registry.load("models:/old/1", trusted=True).predict(ROWS[:1]).tolist() == [0]
    with pytest.raises(Conflict, match="pickle"):
        registry.approve("old", 1)


def test_a_version_outlives_its_run(registry: RegistryService) -> None:
    run_id = run_with_model(registry.tracking, logistic(), metrics={"accuracy": 0.97})
    registry.register(run_id, "iris")
    registry.tracking.delete_run(run_id)
    version = registry.get_version("iris", 1)
    assert version.run_id is None
    assert version.source == f"runs:/{run_id}/model"
    assert registry.load("models:/iris/1").predict(ROWS[:1]).tolist() == [0]
    run = registry.lineage("iris", 1)["run"]
    assert (run["id"], run["deleted"], run["metrics"]) == (run_id, True, {"accuracy": 0.97})


def test_lineage_follows_the_job_notebook_data_and_deployments(
    registry: RegistryService, database: Database, config: StudioConfig
) -> None:
    tags = {
        "studio.job.run": "12",
        "studio.job.definition": "3",
        "studio.job.notebook": "/work/train.ipynb",
        "studio.dataset": json.dumps({"name": "iris", "rows": 150}),
    }
    run_id = run_with_model(
        registry.tracking, logistic(), tags=tags, params={"C": "1.0"}, metrics={"acc": 0.9}
    )
    registry.register(run_id, "iris")
    registry.approve("iris", 1, actor="ana")
    endpoints = EndpointService(database, config, registry)
    endpoints.create("web", {"A": "models:/iris/1"}, actor="bo")
    lineage = registry.lineage("iris", 1)
    assert lineage["job_run"] == {"id": 12}
    assert lineage["job_definition"] == {"id": 3}
    assert lineage["notebook"] == "/work/train.ipynb"
    assert lineage["dataset"] == {"name": "iris", "rows": 150}
    assert lineage["run"]["params"] == {"C": "1.0"}
    assert lineage["run"]["experiment"] == "train"
    deployed = lineage["deployments"]
    assert [(event["endpoint"], event["actor"]) for event in deployed] == [("web", "bo")]
    with pytest.raises(Conflict, match=r"deployed on the endpoint.* web"):
        registry.delete_version("iris", 1)
    with pytest.raises(Conflict, match="web"):
        registry.delete_model("iris")
    with pytest.raises(Conflict, match=r"Cannot reject iris version 1: it is deployed .* web"):
        registry.reject("iris", 1, actor="cy")
    assert registry.get_version("iris", 1).status is ApprovalStatus.APPROVED
    endpoints.delete("web")
    # The endpoint's history stays on the version's page after the endpoint is gone.
    assert registry.lineage("iris", 1)["deployments"] == deployed
    registry.delete_version("iris", 1)


def test_registering_refuses_what_is_not_a_model(registry: RegistryService) -> None:
    run_id = run_with_model(registry.tracking, logistic())
    with pytest.raises(NotFound):
        registry.register(f"runs:/{run_id}/nothing", "iris")
    with pytest.raises(NotFound):
        registry.register("0" * 32, "iris")
    with pytest.raises(InvalidInput, match="already a registered version"):
        registry.register("models:/iris/1", "iris")
    with pytest.raises(InvalidInput, match="cannot contain"):
        registry.register(run_id, "a/b")
    assert registry.list_models() == []


def test_concurrent_registrations_never_share_a_number(registry: RegistryService) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = set(pool.map(lambda _: registry.store.ensure_model("iris", 1), range(8)))
    assert len(made) == 1
    model_id = made.pop()

    def take(count: int) -> list[int]:
        return [registry.store.next_version(model_id, 3) for _ in range(count)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        taken = [number for numbers in pool.map(take, [10] * 4) for number in numbers]
    assert sorted(taken) == list(range(1, 41))
