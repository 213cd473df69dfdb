"""Autolog on par with MLflow 3 on the issue's five workflows: post-training metrics logged to
the run that trained the model, the training and eval datasets, the estimator's diagram, the
model's environment files and the training figures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn.metrics
import sklearn.model_selection
from scipy.stats import loguniform
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import studio
from studio.tracking.entities import RunStatus
from tests.tracking.autolog.parity import (
    artifact_text,
    assert_classifier_figures,
    assert_diagram,
    assert_model_environment,
    datasets,
    evaluation,
)
from tests.tracking.autolog.support import children_of, last, only_run

Split = tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]


@pytest.fixture(scope="module")
def split() -> Split:
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    return X_train, X_test, y_train, y_test


def test_a_pipelines_score_and_metrics_on_test_data_log_to_the_run_that_trained_it(
    client: studio.Client, split: Split, tmp_path: Path
) -> None:
    X_train, X_test, y_train, y_test = split
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    assert only_run(client).status is RunStatus.FINISHED  # the metrics come after its end

    score = model.score(X_test, y_test)
    predicted = model.predict(X_test)
    accuracy = sklearn.metrics.accuracy_score(y_test, predicted)
    sklearn.metrics.accuracy_score(y_test, predicted)  # a second call: accuracy_score-2
    f1 = sklearn.metrics.f1_score(y_test, predicted)
    # A column of predict_proba's result is a view of it: still the model's prediction.
    auc = sklearn.metrics.roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])

    run = only_run(client)
    assert last(run, "Pipeline_score_X_test") == pytest.approx(score)
    assert last(run, "accuracy_score_X_test") == pytest.approx(accuracy)
    assert last(run, "accuracy_score-2_X_test") == pytest.approx(accuracy)
    assert last(run, "f1_score_X_test") == pytest.approx(f1)
    assert last(run, "roc_auc_score_X_test") == pytest.approx(auc)
    listed = datasets(run)
    assert set(listed) == {"train/X_train", "eval/X_test"}
    assert (listed["train/X_train"]["rows"], listed["train/X_train"]["columns"]) == (426, 30)
    assert listed["eval/X_test"]["rows"] == 143
    assert json.loads(run.tags["studio.dataset"])["digest"] == listed["train/X_train"]["digest"]
    schema = json.loads(
        artifact_text(
            client, run.id, f"datasets/eval-{listed['eval/X_test']['digest']}.json", tmp_path
        )
    )
    assert schema["schema"][0] == {"name": "mean radius", "type": "double"}
    assert schema["target"] == [{"name": "target", "type": "long"}]
    assert_diagram(client, run.id, tmp_path, "StandardScaler", "LogisticRegression")
    assert_model_environment(client, run.id, tmp_path)
    summary, figures = evaluation(client, run.id, "training", tmp_path)
    assert_classifier_figures(figures)
    assert summary["model"] == "StandardScaler → LogisticRegression"
    assert (summary["task"], summary["rows"]) == ("binary", 426)
    assert summary["metrics"]["accuracy"] == pytest.approx(last(run, "training_accuracy"))
    # The registry keeps the training data in a version's lineage.
    version = client.register_model(run.id, "parity")
    assert version.lineage["dataset"] == {
        "name": "X_train",
        "digest": listed["train/X_train"]["digest"],
        "rows": 426,
        "columns": 30,
    }


def test_a_grid_search_logs_its_score_to_the_parent_and_not_to_the_candidates(
    client: studio.Client, split: Split, tmp_path: Path
) -> None:
    X_train, X_test, y_train, y_test = split
    search = GridSearchCV(
        make_pipeline(StandardScaler(), LogisticRegression()),
        {"logisticregression__C": [0.1, 1.0]},
        cv=3,
    ).fit(X_train, y_train)
    score = search.score(X_test, y_test)
    best_predictions = search.best_estimator_.predict(X_test)
    recall = sklearn.metrics.recall_score(y_test, best_predictions)

    (parent,) = client.search_runs(filter="attributes.name = 'GridSearchCV'")
    assert last(parent, "GridSearchCV_score_X_test") == pytest.approx(score)
    assert last(parent, "recall_score_X_test") == pytest.approx(recall)
    assert set(datasets(parent)) == {"train/X_train", "eval/X_test"}
    assert_diagram(client, parent.id, tmp_path, "GridSearchCV", "LogisticRegression")
    assert_model_environment(client, parent.id, tmp_path)
    summary, figures = evaluation(client, parent.id, "training", tmp_path)
    assert_classifier_figures(figures)
    assert summary["model"] == "StandardScaler → LogisticRegression"  # the best estimator
    for child in children_of(client, parent).values():
        assert not any(key.endswith("_X_test") for key in child.metrics)
        assert "studio.datasets" not in child.tags


def test_cross_validate_logs_out_of_fold_figures_beside_the_folds(
    client: studio.Client, split: Split, tmp_path: Path
) -> None:
    X_train, _, y_train, _ = split
    results = sklearn.model_selection.cross_validate(
        make_pipeline(StandardScaler(), LogisticRegression()),
        X_train,
        y_train,
        cv=3,
        scoring=["accuracy", "f1"],
    )
    assert sorted(results) == ["fit_time", "score_time", "test_accuracy", "test_f1"]

    run = only_run(client)
    history = client.get_metric_history(run.id, "cv_test_accuracy")
    np.testing.assert_allclose(history.values, results["test_accuracy"])  # per fold, as before
    assert set(datasets(run)) == {"train/X_train"}
    assert_diagram(client, run.id, tmp_path, "StandardScaler", "LogisticRegression")
    summary, figures = evaluation(client, run.id, "cv", tmp_path)
    assert_classifier_figures(figures)
    assert summary["rows"] == 426  # every row, predicted by the fold's model that did not see it
    assert summary["metrics"]["f1"] == pytest.approx(np.mean(results["test_f1"]))
    assert [fold["metrics"]["accuracy"] for fold in summary["folds"]] == pytest.approx(
        list(results["test_accuracy"])
    )


def test_a_randomized_search_over_a_column_transformer_keeps_readable_params(
    client: studio.Client, tmp_path: Path
) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "age": rng.normal(40, 10, 300),
            "income": rng.normal(50, 15, 300),
            "city": rng.choice(["Paris", "Lyon", "Nice"], 300),
        }
    )
    target = (frame["age"] + (frame["city"] == "Nice") * 10 > 45).astype(int)
    frame_train, frame_test, target_train, target_test = train_test_split(
        frame, target, random_state=0
    )
    columns = ColumnTransformer(
        [("num", StandardScaler(), ["age", "income"]), ("cat", OneHotEncoder(), ["city"])]
    )
    search = RandomizedSearchCV(
        make_pipeline(columns, LogisticRegression()),
        {"logisticregression__C": loguniform(0.01, 10)},
        n_iter=3,
        cv=3,
        random_state=0,
    ).fit(frame_train, target_train)
    accuracy = sklearn.metrics.accuracy_score(target_test, search.predict(frame_test))

    (parent,) = client.search_runs(filter="attributes.name = 'RandomizedSearchCV'")
    assert parent.params["param_distributions"] == (
        "{'logisticregression__C': loguniform(0.01, 10)}"
    )
    assert last(parent, "accuracy_score_frame_test") == pytest.approx(accuracy)
    schema = json.loads(
        artifact_text(
            client,
            parent.id,
            f"datasets/train-{datasets(parent)['train/frame_train']['digest']}.json",
            tmp_path,
        )
    )["schema"]
    assert schema == [
        {"name": "age", "type": "double"},
        {"name": "income", "type": "double"},
        {"name": "city", "type": "string"},
    ]
    assert_diagram(client, parent.id, tmp_path, "ColumnTransformer", "OneHotEncoder")
    assert_model_environment(client, parent.id, tmp_path)
    assert_classifier_figures(evaluation(client, parent.id, "training", tmp_path)[1])


def test_a_fit_inside_the_users_run_logs_there_even_after_the_run_ended(
    client: studio.Client, uri: str, split: Split, tmp_path: Path
) -> None:
    X_train, X_test, y_train, y_test = split
    with studio.start_run(experiment="mine", name="mine", tracking_uri=uri) as run:
        studio.log_param("user_param", "kept")
        forest = RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train)
        inside = forest.score(X_test, y_test)
    after = forest.score(X_train, y_train)  # the run ended: still its model's run

    stored = client.get_run(run.id)
    assert stored.status is RunStatus.FINISHED
    assert stored.params["user_param"] == "kept"
    assert last(stored, "RandomForestClassifier_score_X_test") == pytest.approx(inside)
    assert last(stored, "RandomForestClassifier_score_X_train") == pytest.approx(after)
    # Scoring on its training data lists that data as eval data too.
    assert set(datasets(stored)) == {"train/X_train", "eval/X_test", "eval/X_train"}
    assert "studio.autolog" in stored.tags
    assert_diagram(client, run.id, tmp_path, "RandomForestClassifier")
    assert_model_environment(client, run.id, tmp_path)
    assert_classifier_figures(evaluation(client, run.id, "training", tmp_path)[1])
