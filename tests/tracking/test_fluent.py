"""The notebook API through a real local store: what a data scientist sees."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

import studio
from studio.errors import Conflict, InvalidInput, NotFound
from studio.tracking.entities import RunStatus


@pytest.fixture
def client(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[studio.Client]:
    """A fresh store for each test (SQLite, or PostgreSQL under STUDIO_TEST_DB_URL), found
    through the environment as in a notebook."""
    monkeypatch.setenv("STUDIO_TRACKING_URI", database_url)
    monkeypatch.setenv("STUDIO_ARTIFACT_ROOT", str(tmp_path / "artifacts"))
    monkeypatch.delenv("STUDIO_RUN_ID", raising=False)
    yield studio.Client()
    while studio.active_run() is not None:
        studio.end_run()


def test_run_block_stores_params_tags_and_every_metric_point(client: studio.Client) -> None:
    with studio.start_run(
        experiment="iris", name="first", params={"lr": 0.1}, tags={"t": "a"}
    ) as run:
        for epoch in range(1000):
            run.log_metric("loss", 1 / (epoch + 1))
        run.log_metrics({"acc": 0.5, "f1": 0.4}, step=7)

    stored = client.get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.end_time is not None
    assert stored.end_time >= stored.start_time
    assert stored.name == "first"
    assert stored.params == {"lr": "0.1"}
    assert stored.tags["t"] == "a"
    assert stored.metrics["loss"].count == 1000
    assert stored.metrics["loss"].last == pytest.approx(1 / 1000)
    assert stored.metrics["loss"].last_step == 999
    assert stored.metrics["acc"].last_step == 7
    history = client.get_metric_history(run.id, "loss")
    assert history.steps == list(range(1000))


def test_exception_marks_run_failed_and_keeps_points(client: studio.Client) -> None:
    def train() -> None:
        with studio.start_run() as run:
            for step in range(500):
                run.log_metric("loss", float(step))
            raise ZeroDivisionError("diverged")

    with pytest.raises(ZeroDivisionError):
        train()
    (run,) = client.search_runs("Default")

    stored = client.get_run(run.id)
    assert stored.status is RunStatus.FAILED
    assert stored.metrics["loss"].count == 500
    assert studio.active_run() is None


def test_keyboard_interrupt_marks_run_killed(client: studio.Client) -> None:
    with pytest.raises(KeyboardInterrupt), studio.start_run() as run:
        raise KeyboardInterrupt
    assert client.get_run(run.id).status is RunStatus.KILLED


def test_param_cannot_change_but_may_repeat(client: studio.Client) -> None:
    with studio.start_run() as run:
        run.log_param("max_depth", 3)
        run.log_param("max_depth", 3)
        with pytest.raises(Conflict, match="max_depth"):
            run.log_param("max_depth", 4)
        with pytest.raises(Conflict):
            run.log_params({"other": 1, "max_depth": 5})
    # The rejected batch stored none of its params.
    assert client.get_run(run.id).params == {"max_depth": "3"}


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "must not be empty"),
        ("x" * 251, "limit is 250"),
        ("bad\nkey", "may only contain"),
        ("../escape", "must not start"),
        (3, "must be a string"),
    ],
)
def test_bad_metric_keys_are_refused_with_clear_messages(
    client: studio.Client, key: object, message: str
) -> None:
    with studio.start_run() as run, pytest.raises(InvalidInput, match=message):
        run.log_metric(key, 1.0)  # type: ignore[arg-type]


def test_bad_metric_values_and_steps_are_refused(client: studio.Client) -> None:
    with studio.start_run() as run:
        with pytest.raises(InvalidInput, match="must be a number"):
            run.log_metric("acc", "0.9")  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="must be a number"):
            run.log_metric("acc", None)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match="must be an integer"):
            run.log_metric("acc", 0.9, step=1.5)  # type: ignore[arg-type]
        run.log_metric("acc", np.float32(0.25), step=np.int64(3))  # type: ignore[arg-type]
    assert client.get_run(run.id).metrics["acc"].last == 0.25


def test_nan_and_infinities_are_kept(client: studio.Client) -> None:
    with studio.start_run() as run:
        run.log_metric("x", 1.0)
        run.log_metric("x", math.nan)
        run.log_metric("x", math.inf)
        run.log_metric("x", -math.inf)
    history = client.get_metric_history(run.id, "x")
    assert history.values[0] == 1.0
    assert math.isnan(history.values[1])
    assert history.values[2:] == [math.inf, -math.inf]
    summary = client.get_run(run.id).metrics["x"]
    assert summary.last == -math.inf
    assert (summary.min, summary.max) == (-math.inf, math.inf)


def test_nested_runs_and_the_active_run_rule(client: studio.Client) -> None:
    with studio.start_run(experiment="search") as parent:
        with pytest.raises(InvalidInput, match="still active"):
            studio.start_run()
        with studio.start_run(nested=True, name="child") as child:
            assert studio.active_run() is child
        assert studio.active_run() is parent
    stored = client.get_run(child.id)
    assert stored.parent_run_id == parent.id
    assert stored.experiment_id == parent.experiment_id


def test_module_level_shortcuts_act_on_the_active_run(client: studio.Client) -> None:
    with studio.start_run() as run:
        studio.log_param("alpha", 0.5)
        studio.log_params({"beta": "x"})
        studio.log_metric("m", 2.0)
        studio.log_metrics({"n": 3.0})
        studio.set_tags({"stage": "dev"})
    stored = client.get_run(run.id)
    assert stored.params == {"alpha": "0.5", "beta": "x"}
    assert stored.tags["stage"] == "dev"
    assert set(stored.metrics) == {"m", "n"}


def test_logging_without_a_run_starts_one(client: studio.Client) -> None:
    studio.log_metric("loose", 1.0)
    run = studio.active_run()
    assert run is not None
    studio.end_run()
    assert studio.active_run() is None
    assert client.get_run(run.id).status is RunStatus.FINISHED


def test_job_run_id_attaches_to_the_jobs_run(
    client: studio.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    with studio.start_run(experiment="jobs") as prepared:
        pass
    client._backend.update_run(prepared.id, status=RunStatus.RUNNING)
    monkeypatch.setenv("STUDIO_RUN_ID", prepared.id)

    with studio.start_run(params={"n": 1}) as run:
        run.log_metric("loss", 0.1)

    assert run.id == prepared.id
    stored = client.get_run(prepared.id)
    # The job, not the notebook, decides when its run ends.
    assert stored.status is RunStatus.RUNNING
    assert stored.params == {"n": "1"}
    assert stored.metrics["loss"].count == 1


def test_artifacts_and_models_round_trip(client: studio.Client, tmp_path: Path) -> None:
    from sklearn.datasets import load_iris
    from sklearn.tree import DecisionTreeClassifier

    X, y = load_iris(return_X_y=True)
    model = DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    with studio.start_run() as run:
        assert run.log_artifact(notes) == "notes.txt"
        assert run.log_artifact(notes, name="docs/readme.txt") == "docs/readme.txt"
        run.log_model(model)

    listing = {info.path: info.is_dir for info in client.list_artifacts(run.id)}
    assert listing == {"docs": True, "model": True, "notes.txt": False}
    local = client.download_artifacts(run.id, "docs/readme.txt", tmp_path / "out")
    assert local.read_text() == "hello"
    loaded = client.load_model(run.id)
    assert (loaded.predict(X) == model.predict(X)).all()
    with pytest.raises(InvalidInput, match="leaves"):
        client.list_artifacts(run.id, "../..")
    with pytest.raises(NotFound):
        client.download_artifacts(run.id, "missing.txt", tmp_path)


def test_search_runs_filters_orders_and_pages(client: studio.Client) -> None:
    for depth in range(1, 8):
        with studio.start_run(experiment="trees", params={"max_depth": depth}) as run:
            run.log_metric("accuracy", depth / 10)
    with studio.start_run(experiment="other") as run:
        run.log_metric("accuracy", 0.99)

    best = client.search_runs(
        "trees", filter="metrics.accuracy >= 0.3", order_by="metrics.accuracy desc"
    )
    assert [r.params["max_depth"] for r in best] == ["7", "6", "5", "4", "3"]

    first = client.search_runs("trees", order_by=["params.max_depth"], max_results=4)
    assert len(first) == 4
    assert first.next_page_token
    second = client.search_runs(
        "trees", order_by=["params.max_depth"], max_results=4, page_token=first.next_page_token
    )
    assert [r.params["max_depth"] for r in [*first, *second]] == [str(d) for d in range(1, 8)]
    assert second.next_page_token is None

    with pytest.raises(InvalidInput, match="position"):
        client.search_runs("trees", filter="metrics.accuracy >>> 1")
    with pytest.raises(NotFound):
        client.search_runs("no such experiment")
    assert [e.name for e in client.list_experiments()][:2] == ["other", "trees"]


def test_end_refuses_unknown_status(client: studio.Client) -> None:
    run = studio.start_run()
    with pytest.raises(InvalidInput, match="FINISHED"):
        run.end("DONE")
    run.end("FAILED")
    assert client.get_run(run.id).status is RunStatus.FAILED
