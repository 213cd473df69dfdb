"""How a serving worker loads its models: checked against the version's sha256, given
arrays when that answers alike, downloaded once from a remote artifact root. (That workers
import skops without PyTorch is checked on real workers in test_replicas.py.)"""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import fsspec
import numpy as np
import pytest

from studio.errors import UntrustedModel
from studio.serving.entities import ServedVariant, VariantRole
from studio.serving.loading import ModelCache
from studio.tracking.models import read_model_meta, save_model
from tests.databases import sqlite_only
from tests.serving.deployments import frame, models

pytestmark = sqlite_only  # no store


def _variant(folder: Path, storage_path: str) -> ServedVariant:
    meta = read_model_meta(folder)
    return ServedVariant(
        name="A",
        role=VariantRole.PRIMARY,
        weight=1.0,
        sampling=1.0,
        model_uri="models:/m/1",
        model_version_id=1,
        model_name="m",
        model_version=1,
        storage_path=storage_path,
        format=meta.format,
        sha256=meta.sha256,
        trusted_types=(),
        signature=meta.signature,
        input_example=meta.input_example,
    )


def test_a_model_file_changed_after_registration_is_refused(tmp_path: Path) -> None:
    folder = save_model(models()["A"], tmp_path / "root" / "models" / "1")
    variant = _variant(folder, "models/1")
    cache = ModelCache(str(tmp_path / "root"), tmp_path / "cache")
    rows = frame(3, seed=1)
    loaded = cache.load(variant)
    np.testing.assert_allclose(loaded.model.predict(rows), models()["A"].predict(rows))
    assert cache.load(variant) is loaded  # cached by (storage path, sha256)
    replaced = dataclasses.replace(variant, sha256="0" * 64)
    with pytest.raises(UntrustedModel, match="changed after registration"):
        cache.load(replaced)


def test_a_model_that_answers_arrays_alike_is_given_arrays(tmp_path: Path) -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X = frame(40, seed=3)
    by_name = make_pipeline(
        ColumnTransformer([("scaled", StandardScaler(), ["a", "c"])]), LinearRegression()
    ).fit(X, X["a"] - X["c"])
    cache = ModelCache(str(tmp_path / "root"), tmp_path / "cache")
    rows = frame(5, seed=4)
    for name, model, arrays in (("plain", models()["A"], True), ("by-name", by_name, False)):
        folder = save_model(model, tmp_path / "root" / name, input_example=X.head(3))
        loaded = cache.load(_variant(folder, name))
        # A step that picks columns by name cannot take an array: it keeps the frame.
        assert loaded.arrays is arrays
        np.testing.assert_allclose(loaded.predict(rows), model.predict(rows))


def test_a_remote_root_is_downloaded_once_into_the_cache(tmp_path: Path) -> None:
    root = "memory://serving-test-root"
    fs = fsspec.filesystem("memory")
    with tempfile.TemporaryDirectory() as local:
        folder = save_model(models()["B"], Path(local) / "model")
        variant = _variant(folder, "models/2/1")
        fs.put(str(folder), "/serving-test-root/models/2/1", recursive=True)
    try:
        loaded = ModelCache(root, tmp_path / "cache").load(variant)
        rows = frame(2, seed=2)
        np.testing.assert_allclose(loaded.model.predict(rows), models()["B"].predict(rows))
        assert (tmp_path / "cache" / variant.sha256 / "model.skops").is_file()
        fs.rm("/serving-test-root", recursive=True)  # another worker finds the cached copy
        assert ModelCache(root, tmp_path / "cache").load(variant).model is not None
    finally:
        if fs.exists("/serving-test-root"):
            fs.rm("/serving-test-root", recursive=True)
