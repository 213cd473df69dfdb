"""Small frames and a tracking store for the tests of `studio.evaluate`."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.datasets import make_classification, make_regression
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from studio.config import TRACKING_URI_ENV
from studio.tracking.backends import connect
from studio.tracking.service import TrackingService
from tests.tracking.logging_store import tracking_store

if TYPE_CHECKING:
    import pytest


@contextmanager
def local_tracking(
    database_url: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TrackingService]:
    """`database_url` as the environment's tracking URI (evaluate's own runs go there), and
    the service that reads it; closed on exit."""
    with tracking_store(database_url, home, monkeypatch) as uri:
        monkeypatch.setenv(TRACKING_URI_ENV, uri)
        service = connect(uri).backend
        assert isinstance(service, TrackingService)
        yield service


@functools.cache
def binary_frame() -> tuple[pd.DataFrame, pd.Series]:
    X, y = make_classification(
        240, 6, n_informative=3, weights=[0.6], n_clusters_per_class=1, random_state=0
    )
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    return frame, pd.Series(y, name="target")


@functools.cache
def multiclass_frame() -> tuple[pd.DataFrame, np.ndarray]:
    """Three string classes, a numeric and a categorical column that decides one class."""
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], 240)
    size = rng.normal(size=240)
    label = np.where(colour == "red", "apple", np.where(size > 0, "melon", "grape"))
    frame = pd.DataFrame({"size": size, "colour": pd.Categorical(colour)})
    return frame, label


@functools.cache
def regression_arrays() -> tuple[np.ndarray, np.ndarray]:
    X, y = make_regression(240, 5, noise=10.0, random_state=0)
    return X, y + 300.0  # away from zero: a meaningful MAPE


def classifier() -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression())


def categorical_classifier() -> Any:
    encoder = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["colour"]), remainder=StandardScaler()
    )
    return make_pipeline(encoder, LogisticRegression())


def regressor() -> Any:
    return Ridge()


def dataset(task: str) -> tuple[Any, Any, Any]:
    """(model, X, y) for a task."""
    if task == "binary":
        return (classifier(), *binary_frame())
    if task == "multiclass":
        return (categorical_classifier(), *multiclass_frame())
    return (regressor(), *regression_arrays())


def split(X: Any, y: Any, rows: int = 180) -> tuple[Any, Any, Any, Any]:
    """The first `rows` to fit on, the rest to test on."""
    if isinstance(X, pd.DataFrame):
        return X.iloc[:rows], y[:rows], X.iloc[rows:], y[rows:]
    return X[:rows], y[:rows], X[rows:], y[rows:]
