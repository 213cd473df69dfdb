"""Anyone logging to the store may tag a run `studio.automl` = "1": the AutoML routes read such
a run's other tags and params as given and must answer, never fail, whatever they hold."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.config import StudioConfig
from studio.evaluation.service import EvaluationService
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore

if TYPE_CHECKING:
    from studio.db.engine import Database

HOSTILE_PARENT_TAGS = {
    "studio.automl.metric": "no-such-metric",
    "studio.automl.task": "clustering",
    "studio.automl.model": "model/²",
    "studio.job.run": "³",
    "studio.automl.notebooks": "[" * 2000 + "]" * 2000,
    "studio.automl.best_run": "x' or '1' = '1",
}


@pytest.fixture
def evaluation(database: Database, tmp_path: Path) -> EvaluationService:
    tracking = TrackingService(TrackingStore(database, str(tmp_path / "artifacts")))
    config = StudioConfig(
        home=tmp_path, db_url=database.url, artifact_root=str(tmp_path / "artifacts")
    )
    return EvaluationService(database, config, tracking)


@pytest.mark.parametrize(
    ("tags", "params"),
    [
        ({}, {}),
        (HOSTILE_PARENT_TAGS, {"time_budget": "a lot"}),
        ({"studio.automl.metric": "r2"}, {"time_budget": "inf"}),
    ],
    ids=["nothing-but-the-tag", "hostile-values", "infinite-budget"],
)
def test_a_run_tagged_automl_by_anyone_is_listed_and_read_without_error(
    evaluation: EvaluationService, tags: dict[str, str], params: dict[str, str]
) -> None:
    tracking = evaluation.tracking
    experiment = tracking.create_experiment("hostile")
    parent = tracking.create_run(
        experiment.id, name="parent", tags={"studio.automl": "1", **tags}, params=params
    )
    tracking.create_run(
        experiment.id,
        name="child",
        parent_run_id=parent.id,
        tags={"studio.automl.state": "complete"},
        metrics=[("cv_score", 0.5, 0, 0)],
    )

    listed = evaluation.list_automl(experiment.id).automls
    detail = evaluation.get_automl(parent.id)

    assert [search.run_id for search in listed] == [parent.id]
    assert [candidate.score for candidate in detail.leaderboard] == [0.5]
    assert detail.model_version is None
    assert detail.job_run_id is None
    assert detail.notebooks == {}


def test_the_list_shows_the_chosen_candidate_s_score_as_the_leaderboard_does(
    evaluation: EvaluationService,
) -> None:
    tracking = evaluation.tracking
    experiment = tracking.create_experiment("chosen")
    parent = tracking.create_run(
        experiment.id, name="parent", tags={"studio.automl": "1", "studio.automl.metric": "r2"}
    )
    runs = {}
    for name, state, score in [
        ("ensemble", "complete", 0.7),
        ("best single", "complete", 0.8),
        ("pruned", "pruned", 0.9),
        ("unscored", "complete", None),
    ]:
        runs[name] = tracking.create_run(
            experiment.id,
            name=name,
            parent_run_id=parent.id,
            tags={"studio.automl.state": state},
            metrics=[] if score is None else [("cv_score", score, 0, 0)],
        )

    def summaries() -> tuple[object, object]:
        listed = evaluation.list_automl(experiment.id).automls[0]
        detail = evaluation.get_automl(parent.id)
        return (
            (listed.best_score, listed.candidates, listed.pruned),
            (detail.best_score, detail.candidates, detail.pruned),
        )

    assert summaries() == ((0.8, 4, 1), (0.8, 4, 1))
    tracking.log_batch(parent.id, tags={"studio.automl.best_run": runs["ensemble"].id})
    assert summaries() == ((0.7, 4, 1), (0.7, 4, 1))


def test_a_search_that_ended_badly_before_saying_so_reads_as_failed(
    evaluation: EvaluationService,
) -> None:
    from studio.tracking.entities import RunStatus

    tracking = evaluation.tracking
    experiment = tracking.create_experiment("ended")
    tags = {"studio.automl": "1", "studio.automl.phase": "exploring"}
    failed = tracking.create_run(experiment.id, name="failed", tags=tags)
    tracking.update_run(failed.id, status=RunStatus.FAILED)
    running = tracking.create_run(experiment.id, name="running", tags=tags)
    done = tracking.create_run(
        experiment.id, name="done", tags={**tags, "studio.automl.phase": "done"}
    )
    tracking.update_run(done.id, status=RunStatus.FINISHED)

    assert evaluation.get_automl(failed.id).phase == "failed"
    assert evaluation.get_automl(running.id).phase == "exploring"
    assert evaluation.get_automl(done.id).phase == "done"
