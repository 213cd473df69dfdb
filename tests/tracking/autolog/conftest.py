"""Fixtures of the autolog tests: autolog on, into a fresh store (`uri`, tests/tracking)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

import studio
from studio.tracking.autolog import autolog


@pytest.fixture
def client(uri: str) -> Iterator[studio.Client]:
    """Autolog on, into the fresh store; off again afterwards, whatever the test did."""
    autolog(tracking_uri=uri, experiment="autolog")
    try:
        yield studio.Client(uri)
    finally:
        autolog(disable=True)


@pytest.fixture(scope="module")
def iris() -> tuple[Any, Any]:
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y
