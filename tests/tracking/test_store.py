"""The tracking store, on SQLite and (with STUDIO_TEST_DB_URL) on PostgreSQL.

Every test here runs on both backends in `make test`: what passes on one must pass on the
other, so a user can move a team's store from SQLite to PostgreSQL without surprises.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.errors import Conflict, InvalidInput, NotFound
from studio.tracking.entities import RunPage, RunRecord, RunStatus

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService
    from studio.tracking.store import TrackingStore


def names(page: RunPage) -> list[str]:
    return [run.name for run in page.runs]


# Experiments ------------------------------------------------------------------------------


def test_create_experiment_and_find_it(store: TrackingStore) -> None:
    created = store.create_experiment("mnist", "digits", {"team": "vision"})
    assert created.name == "mnist"
    assert created.description == "digits"
    assert created.tags == {"team": "vision"}
    assert created.archived is False
    assert store.get_experiment(created.id) == created
    assert store.get_experiment_by_name("mnist") == created
    assert store.get_experiment_by_name("nope") is None
    assert [e.name for e in store.list_experiments()] == ["mnist"]


def test_experiment_names_are_unique(store: TrackingStore) -> None:
    store.create_experiment("mnist")
    with pytest.raises(Conflict, match="mnist"):
        store.create_experiment("mnist")
    assert len(store.list_experiments()) == 1


def test_experiment_name_must_not_be_empty(store: TrackingStore) -> None:
    with pytest.raises(InvalidInput, match="name"):
        store.create_experiment("   ")


def test_get_or_create_experiment_is_idempotent(store: TrackingStore) -> None:
    first = store.get_or_create_experiment("shared")
    second = store.get_or_create_experiment("shared")
    assert first.id == second.id
    assert len(store.list_experiments()) == 1


def test_unknown_experiment_is_not_found(store: TrackingStore) -> None:
    with pytest.raises(NotFound):
        store.get_experiment(12345)
    with pytest.raises(NotFound):
        store.update_experiment(12345, name="x")
    with pytest.raises(NotFound):
        store.delete_experiment(12345)


def test_rename_experiment(store: TrackingStore) -> None:
    experiment = store.create_experiment("old")
    renamed = store.update_experiment(experiment.id, name="new")
    assert renamed.name == "new"
    assert store.get_experiment_by_name("old") is None
    assert store.get_experiment_by_name("new") is not None
    assert renamed.updated_at >= experiment.updated_at


def test_rename_to_a_taken_name_is_a_conflict_and_changes_nothing(store: TrackingStore) -> None:
    store.create_experiment("taken")
    mine = store.create_experiment("mine")
    with pytest.raises(Conflict, match="taken"):
        store.update_experiment(mine.id, name="taken", description="changed")
    assert store.get_experiment(mine.id).name == "mine"
    assert store.get_experiment(mine.id).description == ""


def test_update_experiment_description_and_merges_tags(store: TrackingStore) -> None:
    experiment = store.create_experiment("e", tags={"a": "1", "b": "2"})
    updated = store.update_experiment(experiment.id, description="about", tags={"b": "3", "c": "4"})
    assert updated.description == "about"
    assert updated.tags == {"a": "1", "b": "3", "c": "4"}


def test_archived_experiments_are_hidden_unless_asked_for(store: TrackingStore) -> None:
    keep = store.create_experiment("keep")
    gone = store.create_experiment("gone")
    store.update_experiment(gone.id, archived=True)
    assert [e.name for e in store.list_experiments()] == ["keep"]
    listed = {e.name: e for e in store.list_experiments(include_archived=True)}
    assert set(listed) == {"keep", "gone"}
    assert listed["gone"].archived is True
    assert listed["keep"].id == keep.id
    store.update_experiment(gone.id, archived=False)
    assert {e.name for e in store.list_experiments()} == {"keep", "gone"}


def test_list_experiments_counts_runs_and_filters_by_name(store: TrackingStore) -> None:
    busy = store.create_experiment("Busy one")
    store.create_experiment("idle")
    for _ in range(3):
        store.create_run(busy.id)
    counts = {e.name: e.run_count for e in store.list_experiments()}
    assert counts == {"Busy one": 3, "idle": 0}
    assert [e.name for e in store.list_experiments(name_contains="busy")] == ["Busy one"]
    # The most recently active experiment comes first.
    assert store.list_experiments()[0].name == "Busy one"


def test_delete_experiment_removes_its_runs_and_nothing_else(store: TrackingStore) -> None:
    doomed = store.create_experiment("doomed")
    other = store.create_experiment("other")
    parent = store.create_run(doomed.id, params={"p": "1"}, tags={"t": "1"})
    child = store.create_run(doomed.id, parent_run_id=parent.id, metrics=[("m", 1.0, 0, 0)])
    survivor = store.create_run(other.id, params={"p": "1"}, metrics=[("m", 2.0, 0, 0)])

    uris = store.delete_experiment(doomed.id)

    assert sorted(uris) == sorted([parent.artifact_uri, child.artifact_uri])
    for run in (parent, child):
        with pytest.raises(NotFound):
            store.get_run(run.id)
    with pytest.raises(NotFound):
        store.get_experiment(doomed.id)
    assert [e.name for e in store.list_experiments(include_archived=True)] == ["other"]
    assert [r.id for r in store.search_runs().runs] == [survivor.id]
    kept = store.get_run(survivor.id)
    assert kept.params == {"p": "1"}
    assert kept.metrics["m"].last == 2.0


def test_service_delete_experiment_removes_artifacts(
    service: TrackingService, tmp_path: Path
) -> None:
    experiment = service.create_experiment("with files")
    run = service.create_run(experiment.id)
    model = tmp_path / "model.txt"
    model.write_text("weights")
    service.log_artifact(run.id, model)
    assert [a.path for a in service.list_artifacts(run.id)] == ["model.txt"]
    run_folder = Path(run.artifact_uri)
    assert run_folder.is_dir()
    service.delete_experiment(experiment.id)
    assert not run_folder.exists()


# Runs -------------------------------------------------------------------------------------


def test_create_run_defaults(store: TrackingStore, experiment_id: int, artifact_root: Path) -> None:
    created = store.create_run(experiment_id, source="notebooks/train.ipynb")
    assert created.status is RunStatus.RUNNING
    assert created.end_time is None
    assert created.start_time > 1_600_000_000_000  # epoch milliseconds
    assert created.name.startswith("run-")
    assert created.source == "notebooks/train.ipynb"
    assert created.parent_run_id is None
    assert created.artifact_uri.startswith(str(artifact_root))
    assert created.id in created.artifact_uri
    assert (created.params, created.tags, created.metrics) == ({}, {}, {})
    assert store.get_run(created.id) == created
    assert store.get_experiment(experiment_id).run_count == 1


def test_create_run_with_everything_at_once(store: TrackingStore, experiment_id: int) -> None:
    created = store.create_run(
        experiment_id,
        name="child-3",
        run_id="a" * 32,
        params={"C": "1.0"},
        tags={"kind": "cv"},
        metrics=[("score", 0.8, 0, 5), ("score", 0.9, 1, 6)],
        status=RunStatus.FINISHED,
        start_time=1_000,
        end_time=2_000,
    )
    assert created.id == "a" * 32
    assert created.status is RunStatus.FINISHED
    assert (created.start_time, created.end_time, created.duration_ms) == (1_000, 2_000, 1_000)
    assert created.params == {"C": "1.0"}
    assert created.tags == {"kind": "cv"}
    assert created.metrics["score"].last == 0.9
    assert created.metrics["score"].count == 2


def test_a_finished_run_created_without_end_time_gets_one(
    store: TrackingStore, experiment_id: int
) -> None:
    created = store.create_run(experiment_id, status=RunStatus.FAILED)
    assert created.end_time is not None
    assert created.end_time >= created.start_time


def test_create_run_rejects_unknown_experiment_parent_and_duplicate_id(
    store: TrackingStore, experiment_id: int, run: RunRecord
) -> None:
    with pytest.raises(NotFound, match="experiment"):
        store.create_run(987654)
    with pytest.raises(NotFound, match="parent"):
        store.create_run(experiment_id, parent_run_id="f" * 32)
    with pytest.raises(Conflict, match=run.id):
        store.create_run(experiment_id, run_id=run.id)
    assert store.get_experiment(experiment_id).run_count == 1


def test_unknown_run_is_not_found(store: TrackingStore) -> None:
    for call in (
        lambda: store.get_run("missing"),
        lambda: store.update_run("missing", status=RunStatus.FINISHED),
        lambda: store.delete_run("missing"),
        lambda: store.log_batch("missing", params={"a": "1"}),
        lambda: store.get_metric_history("missing", "loss"),
    ):
        with pytest.raises(NotFound, match="missing"):
            call()


def test_update_status_to_terminal_sets_end_time(store: TrackingStore, run: RunRecord) -> None:
    finished = store.update_run(run.id, status=RunStatus.FINISHED)
    assert finished.status is RunStatus.FINISHED
    assert finished.end_time is not None
    assert finished.end_time >= run.start_time
    assert store.get_run(run.id) == finished


def test_update_run_keeps_an_explicit_end_time_and_renames(
    store: TrackingStore, run: RunRecord
) -> None:
    end = run.start_time + 12_345
    updated = store.update_run(run.id, status=RunStatus.KILLED, end_time=end, name="renamed")
    assert (updated.status, updated.end_time, updated.name) == (RunStatus.KILLED, end, "renamed")
    assert updated.duration_ms == 12_345


def test_a_run_set_running_again_has_no_end_time(store: TrackingStore, run: RunRecord) -> None:
    store.update_run(run.id, status=RunStatus.FAILED)
    resumed = store.update_run(run.id, status=RunStatus.RUNNING)
    assert resumed.status is RunStatus.RUNNING
    assert resumed.end_time is None


def test_parent_and_children(store: TrackingStore, experiment_id: int) -> None:
    parent = store.create_run(experiment_id, name="search")
    children = [
        store.create_run(experiment_id, name=f"candidate-{i}", parent_run_id=parent.id)
        for i in range(3)
    ]
    store.create_run(experiment_id, name="unrelated")
    assert all(child.parent_run_id == parent.id for child in children)
    found = store.search_runs([experiment_id], parent_run_id=parent.id, order_by=["name"])
    assert names(found) == ["candidate-0", "candidate-1", "candidate-2"]
    by_filter = store.search_runs([experiment_id], filter=f"parent_run_id = '{parent.id}'")
    assert sorted(names(by_filter)) == ["candidate-0", "candidate-1", "candidate-2"]
    top = store.search_runs([experiment_id], filter="parent_run_id is null")
    assert sorted(names(top)) == ["search", "unrelated"]


def test_delete_run_deletes_its_children_and_their_data(
    store: TrackingStore, experiment_id: int
) -> None:
    parent = store.create_run(experiment_id, params={"a": "1"}, metrics=[("m", 1.0, 0, 0)])
    child = store.create_run(experiment_id, parent_run_id=parent.id, tags={"t": "x"})
    grandchild = store.create_run(experiment_id, parent_run_id=child.id, metrics=[("m", 3.0, 0, 0)])
    sibling = store.create_run(experiment_id, params={"a": "1"}, metrics=[("m", 9.0, 0, 0)])

    uris = store.delete_run(parent.id)

    assert sorted(uris) == sorted(r.artifact_uri for r in (parent, child, grandchild))
    for gone in (parent, child, grandchild):
        with pytest.raises(NotFound):
            store.get_run(gone.id)
    assert [r.id for r in store.search_runs([experiment_id]).runs] == [sibling.id]
    assert store.search_runs(filter="metrics.m < 5").runs == []
    assert store.get_run(sibling.id).metrics["m"].last == 9.0
    assert store.get_metric_history(sibling.id, "m").values == [9.0]


def test_delete_a_child_keeps_the_parent(store: TrackingStore, experiment_id: int) -> None:
    parent = store.create_run(experiment_id)
    child = store.create_run(experiment_id, parent_run_id=parent.id)
    assert store.delete_run(child.id) == [child.artifact_uri]
    assert store.get_run(parent.id).id == parent.id
    assert store.search_runs([experiment_id], parent_run_id=parent.id).runs == []


def test_service_delete_run_removes_artifacts(service: TrackingService, tmp_path: Path) -> None:
    experiment = service.create_experiment("e")
    run = service.create_run(experiment.id)
    service.upload_artifact(run.id, "plots/loss.png", b"png")
    folder = Path(run.artifact_uri)
    assert (folder / "plots" / "loss.png").read_bytes() == b"png"
    service.delete_run(run.id)
    assert not folder.exists()


# Params and tags --------------------------------------------------------------------------


def test_logging_the_same_param_value_again_is_fine(store: TrackingStore, run: RunRecord) -> None:
    store.log_batch(run.id, params={"lr": "0.1", "depth": "3"})
    store.log_batch(run.id, params={"lr": "0.1"})
    assert store.get_run(run.id).params == {"lr": "0.1", "depth": "3"}


def test_changing_a_param_is_a_conflict_and_stores_nothing_of_the_batch(
    store: TrackingStore, run: RunRecord
) -> None:
    store.log_batch(run.id, params={"lr": "0.1"}, metrics=[("loss", 1.0, 0, 0)])
    with pytest.raises(Conflict, match="lr") as raised:
        store.log_batch(
            run.id,
            params={"new": "yes", "lr": "0.2"},
            tags={"note": "x"},
            metrics=[("loss", 0.5, 1, 1), ("acc", 0.9, 1, 1)],
        )
    assert "0.1" in raised.value.message
    assert "0.2" in raised.value.message
    after = store.get_run(run.id)
    assert after.params == {"lr": "0.1"}
    assert after.tags == {}
    assert set(after.metrics) == {"loss"}
    assert after.metrics["loss"].count == 1
    assert store.get_metric_history(run.id, "loss").values == [1.0]
    assert store.get_metric_history(run.id, "acc").total == 0


def test_service_params_are_text_and_immutable(service: TrackingService) -> None:
    experiment = service.create_experiment("e")
    run = service.create_run(experiment.id, params={"n_estimators": 100, "criterion": "gini"})
    assert service.get_run(run.id).params == {"n_estimators": "100", "criterion": "gini"}
    service.log_batch(run.id, params={"n_estimators": 100})
    with pytest.raises(Conflict, match="n_estimators"):
        service.log_batch(run.id, params={"n_estimators": 200})


def test_tags_overwrite(store: TrackingStore, run: RunRecord) -> None:
    store.log_batch(run.id, tags={"stage": "dev", "owner": "ana"})
    store.log_batch(run.id, tags={"stage": "prod"})
    assert store.get_run(run.id).tags == {"stage": "prod", "owner": "ana"}
