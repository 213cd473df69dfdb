"""Autolog records only what the user trained: never the fits scikit-learn makes inside its
own functions; candidates carry their parent's user and source."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import pytest
from sklearn import metrics
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import (
    GridSearchCV,
    cross_val_predict,
)
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import LabelEncoder
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight

import studio
from studio.tracking.autolog import FIT_METHODS
from studio.tracking.models import load_model
from tests.tracking.autolog.support import (
    children_of,
)

# Fits scikit-learn makes for itself -----------------------------------------------------------

# Every function of scikit-learn 1.9 found, by instrumenting each public metric with binary,
# multiclass, string and multilabel inputs, to fit an estimator inside (a LabelEncoder or a
# LabelBinarizer), and the class-weight helpers. roc_auc_score, average_precision_score,
# top_k_accuracy_score, the label_ranking_* scores and the curves fit nothing there.
INTERNAL_FITS: dict[str, Callable[[Any, Any, Any], object]] = {
    "precision_recall_fscore_support": lambda X, y, m: metrics.precision_recall_fscore_support(
        y, m.predict(X), average="macro"
    ),
    "precision_score": lambda X, y, m: metrics.precision_score(y, m.predict(X), average="macro"),
    "recall_score": lambda X, y, m: metrics.recall_score(y, m.predict(X), average="weighted"),
    "f1_score": lambda X, y, m: metrics.f1_score(y, m.predict(X), average="macro"),
    "fbeta_score": lambda X, y, m: metrics.fbeta_score(y, m.predict(X), beta=2, average="micro"),
    "jaccard_score": lambda X, y, m: metrics.jaccard_score(y, m.predict(X), average="macro"),
    "classification_report": lambda X, y, m: metrics.classification_report(y, m.predict(X)),
    "matthews_corrcoef": lambda X, y, m: metrics.matthews_corrcoef(y, m.predict(X)),
    "multilabel_confusion_matrix": lambda X, y, m: metrics.multilabel_confusion_matrix(
        y, m.predict(X)
    ),
    "log_loss": lambda X, y, m: metrics.log_loss(y, m.predict_proba(X)),
    "d2_log_loss_score": lambda X, y, m: metrics.d2_log_loss_score(y, m.predict_proba(X)),
    "brier_score_loss": lambda X, y, m: metrics.brier_score_loss(y, m.predict_proba(X)),
    "d2_brier_score": lambda X, y, m: metrics.d2_brier_score(y, m.predict_proba(X)),
    "hinge_loss": lambda X, y, m: metrics.hinge_loss(y, m.decision_function(X)),
    "silhouette_score": lambda X, y, m: metrics.silhouette_score(X, m.predict(X)),
    "silhouette_samples": lambda X, y, m: metrics.silhouette_samples(X, m.predict(X)),
    "calinski_harabasz_score": lambda X, y, m: metrics.calinski_harabasz_score(X, m.predict(X)),
    "davies_bouldin_score": lambda X, y, m: metrics.davies_bouldin_score(X, m.predict(X)),
    "compute_class_weight": lambda X, y, m: compute_class_weight(
        "balanced", classes=np.unique(y), y=y
    ),
    "compute_sample_weight": lambda X, y, m: compute_sample_weight("balanced", y),
}


def fits_inside(call: Callable[[], object]) -> list[str]:
    """The scikit-learn fit methods that ran during `call` (seen by a profile hook, so that no
    wrapper of the test's own stands between scikit-learn and autolog)."""
    seen: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        code = frame.f_code
        if event == "call" and code.co_name in FIT_METHODS and "sklearn" in code.co_filename:
            seen.append(code.co_qualname)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(previous)
    return seen


@pytest.mark.parametrize("name", sorted(INTERNAL_FITS))
def test_a_function_that_fits_inside_scikit_learn_logs_nothing(
    client: studio.Client, uri: str, iris: tuple[Any, Any], name: str
) -> None:
    X, y = iris
    call = INTERNAL_FITS[name]
    with studio.start_run(experiment="mine", tracking_uri=uri) as run:
        model = LogisticRegression(C=0.5).fit(X, y)
        fitted = fits_inside(lambda: call(X, y, model))
        assert fitted, f"{name} no longer fits anything: take it off INTERNAL_FITS"
    call(X, y, model)  # and without a run of the user's: no run of its own either

    assert [r.id for r in client.search_runs()] == [run.id]
    stored = client.get_run(run.id)
    assert stored.tags["estimator_name"] == "LogisticRegression"
    assert "classes" not in stored.params  # LabelEncoder/LabelBinarizer params stay out
    loaded = client.load_model(run.id)
    assert type(loaded) is LogisticRegression
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_the_users_own_fits_through_scikit_learn_methods_still_log(
    client: studio.Client, iris: tuple[Any, Any], tmp_path: Path
) -> None:
    X, y = iris
    # fit_predict is a property returning a private method that calls self.fit.
    LocalOutlierFactor(n_neighbors=5, novelty=False).fit_predict(X)
    LabelEncoder().fit(y)  # the user's own encoder is the user's fit
    _TunedTree(max_depth=2).fit(X, y)  # a subclass's fit calls scikit-learn's through super()
    runs = {run.name: run for run in client.search_runs()}
    assert sorted(runs) == ["LabelEncoder", "LocalOutlierFactor", "_TunedTree"]
    # The user's own class is not scikit-learn's: it loads once approved.
    saved = client.download_artifacts(runs["_TunedTree"].id, "model", tmp_path)
    assert type(load_model(saved, approved_types=[f"{__name__}._TunedTree"])) is _TunedTree
    # Folds that cross_val_predict fits are scikit-learn's: no run each.
    cross_val_predict(DecisionTreeClassifier(max_depth=1), X, y, cv=3)
    assert len(client.search_runs()) == 3


class _TunedTree(DecisionTreeClassifier):
    def fit(self, X: Any, y: Any, sample_weight: Any = None, check_input: bool = True) -> Any:
        return super().fit(X, y, sample_weight=sample_weight, check_input=check_input)


def test_candidates_carry_the_parents_user_and_source(
    client: studio.Client, uri: str, iris: tuple[Any, Any]
) -> None:
    X, y = iris
    GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2).fit(X, y)
    with studio.start_run(experiment="mine", tracking_uri=uri, tags={"team": "a"}) as run:
        GridSearchCV(DecisionTreeClassifier(), {"max_depth": [1, 2]}, cv=2).fit(X, y)
    (owned,) = client.search_runs(filter="attributes.name = 'GridSearchCV'")
    for parent in (owned, client.get_run(run.id)):
        children = children_of(client, parent)
        assert len(children) == 2
        for child in children.values():
            assert child.tags["studio.user"] == parent.tags["studio.user"]
            assert child.source == parent.source
            assert child.source is not None
            assert "team" not in child.tags  # the user's own tags are the parent's alone
