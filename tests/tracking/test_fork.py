"""Processes started by one that is logging: multiprocessing children under each start method,
plain `os.fork()`, and scikit-learn's joblib workers (loky) under autolog.

A child logs to a run of its own and to the run its parent started; every point arrives exactly
once (the parent's queued points are the parent's to write), and nothing hangs.
"""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import joblib
import pytest
from sklearn.datasets import load_iris
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.tree import DecisionTreeClassifier

import studio
from studio.tracking import backends
from studio.tracking.entities import RunStatus
from tests.tracking.fork_targets import CHILDREN, POINTS, log_in_child, use_unanswered_batches

START_METHODS = ["fork", "spawn", "forkserver"]


def assert_every_point_once(uri: str, parent_id: str, parent_points: int) -> None:
    client = studio.Client(uri)
    stored = client.get_run(parent_id)
    assert stored.status is RunStatus.FINISHED
    assert client.get_metric_history(parent_id, "loss").steps == list(range(parent_points))
    for index in range(CHILDREN):
        for key in (f"child-{index}", f"after-{index}"):
            assert client.get_metric_history(parent_id, key).steps == list(range(POINTS))
    children = {run.name: run for run in client.search_runs("children")}
    assert sorted(children) == [f"child-{index}" for index in range(CHILDREN)]
    for child in children.values():
        assert child.status is RunStatus.FINISHED
        assert client.get_metric_history(child.id, "loss").steps == list(range(POINTS))


@pytest.mark.parametrize("method", START_METHODS)
def test_children_of_each_start_method_log_every_point_once(uri: str, method: str) -> None:
    context = multiprocessing.get_context(method)
    with studio.start_run(experiment="parent", tracking_uri=uri) as parent:
        # Queued, and most likely not yet written, when the children start: a forked child
        # that wrote its copy of them too would store them twice.
        for step in range(POINTS):
            parent.log_metric("loss", float(step))
        workers = [
            context.Process(target=log_in_child, args=(uri, parent, index))
            for index in range(CHILDREN)
        ]
        for worker in workers:
            worker.start()
        for step in range(POINTS, 2 * POINTS):
            parent.log_metric("loss", float(step))
        for worker in workers:
            worker.join(timeout=120)
        assert [worker.exitcode for worker in workers] == [0] * CHILDREN
    assert_every_point_once(uri, parent.id, 2 * POINTS)


def test_a_pool_of_forked_workers_logs_through_pickled_runs(uri: str) -> None:
    # A Pool pickles its tasks' arguments even under fork: the run arrives attached.
    context = multiprocessing.get_context("fork")
    with studio.start_run(experiment="parent", tracking_uri=uri) as parent:
        parent.log_metric("loss", 0.0)
        pool = context.Pool(CHILDREN)
        try:
            pool.starmap(log_in_child, [(uri, parent, index) for index in range(CHILDREN)])
        finally:
            pool.close()
            pool.join()
    assert_every_point_once(uri, parent.id, 1)


def test_a_plain_fork_has_a_working_client_and_leaves_the_parent_its_run(
    uri: str, tmp_path: Path
) -> None:
    # In a script of its own: the child must leave through a real interpreter exit (atexit),
    # which a child of pytest's own process cannot do.
    code = f"""
        import os, studio
        points = {POINTS}
        with studio.start_run(experiment="parent", tracking_uri={uri!r}) as parent:
            for step in range(points):
                parent.log_metric("loss", float(step))
            pid = os.fork()
            if pid == 0:
                for step in range(points):
                    studio.log_metric("inherited", float(step))  # the active run: the parent's
                child = studio.start_run(name="child", tracking_uri={uri!r})
                for step in range(points):
                    child.log_metric("loss", float(step))
                raise SystemExit(0)  # atexit ends the child's run, not the parent's
            _, status = os.waitpid(pid, 0)
            assert os.waitstatus_to_exitcode(status) == 0
            assert studio.Client({uri!r}).get_run(parent.id).status.value == "RUNNING"
            for step in range(points, 2 * points):
                parent.log_metric("loss", float(step))
        print(parent.id)
    """
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "STUDIO_HOME": str(tmp_path / "home")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr, done.stderr
    parent_id = done.stdout.strip()
    client = studio.Client(uri)
    assert client.get_run(parent_id).status is RunStatus.FINISHED
    assert client.get_metric_history(parent_id, "loss").steps == list(range(2 * POINTS))
    assert client.get_metric_history(parent_id, "inherited").steps == list(range(POINTS))
    (child,) = client.search_runs("Default", filter="attributes.name = 'child'")
    assert child.status is RunStatus.FINISHED
    assert child.metrics["loss"].count == POINTS


@pytest.mark.timeout(180)
@pytest.mark.parametrize("backend", ["loky", "multiprocessing"])
def test_scikit_learn_workers_under_autolog_lose_nothing_and_do_not_hang(
    uri: str, backend: str
) -> None:
    # loky starts fresh interpreters; joblib's multiprocessing backend forks this process,
    # writer thread, open connections, autolog's patches and all.
    X, y = load_iris(return_X_y=True)
    studio.autolog(tracking_uri=uri, experiment="workers")
    try:
        with joblib.parallel_backend(backend, n_jobs=2):
            scores = cross_val_score(DecisionTreeClassifier(random_state=0), X, y, cv=4, n_jobs=2)
            search = GridSearchCV(
                DecisionTreeClassifier(random_state=0), {"max_depth": [1, 2, 3]}, cv=3, n_jobs=2
            ).fit(X, y)
    finally:
        studio.autolog(disable=True)

    client = studio.Client(uri)
    everything = client.search_runs("workers")
    runs = {run.name: run for run in everything if not run.parent_run_id}
    assert set(runs) == {"DecisionTreeClassifier cross_validate", "GridSearchCV"}
    assert all(run.status is RunStatus.FINISHED for run in everything)
    cv = runs["DecisionTreeClassifier cross_validate"]
    history = client.get_metric_history(cv.id, "cv_test_score")
    assert history.steps == [0, 1, 2, 3]
    assert history.values == pytest.approx(list(scores))
    children = [run for run in everything if run.parent_run_id == runs["GridSearchCV"].id]
    assert len(everything) == 2 + len(children)  # no run for any fit made in a worker
    by_depth = {run.params["max_depth"]: run for run in children}
    assert sorted(by_depth) == ["1", "2", "3"]
    for index, params in enumerate(search.cv_results_["params"]):
        child = by_depth[str(params["max_depth"])]
        expected = search.cv_results_["mean_test_score"][index]
        assert child.metrics["mean_test_score"].last == pytest.approx(expected)


def test_a_fork_while_the_rest_clients_lock_is_held_does_not_hang_the_child() -> None:
    # Another thread (the writer, sending a batch) may hold the REST client's lock at the fork.
    uri = "http://127.0.0.1:9/"  # never contacted
    backend = backends.connect(uri).backend
    child = multiprocessing.get_context("fork").Process(target=use_unanswered_batches, args=(uri,))
    try:
        with backend._unanswered._lock:  # type: ignore[attr-defined]
            child.start()
            child.join(timeout=20)
        assert child.exitcode == 0
    finally:
        if child.is_alive():
            child.kill()
            child.join()
        backends._connections.pop(uri).writer.close()
