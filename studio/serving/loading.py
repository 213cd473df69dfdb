"""A serving worker's models: loaded once per file, checked against the registry's record.

A variant names a model folder relative to the artifact root and the sha256 its version
recorded. The folder is read in place on a local root and downloaded once into a cache on any
other fsspec root (object storage shared by several replicas). The file's digest is checked
against the version's before skops sees it, and skops trusts only the types the version's
configuration lists (Studio's policy's ones plus those a person approved): a file swapped
after approval is refused, not run.

Models are cached by (storage path, sha256), so a configuration change that only moves
weights loads nothing, and each model keeps its batchers across changes.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import json
import os
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import fsspec
import numpy as np
from fsspec.implementations.local import LocalFileSystem

from studio.errors import UntrustedModel
from studio.serving.batcher import LoadedModel, ModelKey
from studio.serving.scoring import parse_request
from studio.tracking.artifacts import ArtifactRepository, safe_relative_path
from studio.tracking.models import load_model, read_model_meta

if TYPE_CHECKING:
    from studio.serving.entities import ServedVariant

__all__ = ["ModelCache"]

_CHUNK = 1 << 20


class _RefuseTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> None:
        if name == "torch" or name.startswith("torch."):
            raise ImportError("PyTorch is not imported while skops lists scikit-learn's types")
        return None


def import_skops() -> None:
    """Import skops without PyTorch, unless something imported it already.

    On import skops walks every scikit-learn package to list its types, and one of them
    (`sklearn.externals.array_api_compat.torch`) imports PyTorch when it is installed:
    seconds of CPU and hundreds of megabytes in every worker, for no scikit-learn type. The
    walk skips a package that fails to import; PyTorch stays importable afterwards, for a
    model that needs it.
    """
    if "skops.io" in sys.modules or "torch" in sys.modules:
        return
    refuse = _RefuseTorch()
    sys.meta_path.insert(0, refuse)
    try:
        importlib.import_module("skops.io")
    finally:
        sys.meta_path.remove(refuse)


class ModelCache:
    """The models a worker has loaded, shared by every router it builds."""

    def __init__(self, artifact_root: str, cache_folder: Path) -> None:
        import_skops()
        self.artifact_root = artifact_root
        self.cache_folder = cache_folder
        self._models: dict[ModelKey, LoadedModel] = {}
        self._lock = threading.Lock()

    def load(self, variant: ServedVariant) -> LoadedModel:
        key = (variant.storage_path, variant.sha256)
        with self._lock:
            loaded = self._models.get(key)
        if loaded is not None:
            return loaded
        model = load_model(
            self._checked_folder(variant), approved_types=tuple(variant.trusted_types)
        )
        loaded = LoadedModel(key, model, arrays=takes_arrays(model, variant))
        with self._lock:
            return self._models.setdefault(key, loaded)

    def keep_only(self, keys: Iterable[ModelKey]) -> None:
        """Forget the models no configuration uses any more (their batchers end by
        themselves once the requests still holding them are answered)."""
        wanted = set(keys)
        with self._lock:
            for key in [key for key in self._models if key not in wanted]:
                del self._models[key]

    def _checked_folder(self, variant: ServedVariant) -> Path:
        folder = self._folder(variant)
        model_file = folder / read_model_meta(folder).model_file
        digest = _sha256(model_file)
        if digest != variant.sha256:
            raise UntrustedModel(
                f"The model file of {variant.model_uri} ({variant.storage_path}) has sha256 "
                f"{digest}, not the {variant.sha256} its version recorded: it was changed "
                "after registration, so it is not loaded."
            )
        return folder

    def _folder(self, variant: ServedVariant) -> Path:
        relative = safe_relative_path(variant.storage_path, allow_empty=False)
        fs, root = fsspec.core.url_to_fs(self.artifact_root)
        if isinstance(fs, LocalFileSystem):
            return Path(root) / relative
        cached = self.cache_folder / variant.sha256
        if cached.is_dir():
            return cached
        self.cache_folder.mkdir(parents=True, exist_ok=True)
        # Workers of one replica may download the same model at once: each into its own
        # folder, then one rename wins.
        staging = Path(tempfile.mkdtemp(prefix=".download-", dir=self.cache_folder))
        try:
            downloaded = ArtifactRepository().download(self.artifact_root, relative, staging)
            try:
                os.replace(downloaded, cached)
            except OSError:
                if not cached.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return cached


def takes_arrays(model: Any, variant: ServedVariant) -> bool:
    """Whether the model may predict on a request's float64 values instead of its DataFrame.

    scikit-learn checks a DataFrame's feature names and each column's dtype on every call:
    2 to 3 ms for a 30-column pipeline against 0.5 ms for the same rows as an array. The
    frames a worker predicts on already have the signature's columns in its order, so when
    every input is a double, and the model answers its input example the same both ways
    (a step that selects columns by name would fail on an array), the array is used. The
    warning scikit-learn gives for an array without feature names is then expected.
    """
    signature, example = variant.signature, variant.input_example
    if not signature or not example:
        return False
    if any(column.get("dtype") != "double" for column in signature.get("inputs", [])):
        return False
    try:
        frame = parse_request(json.dumps(example).encode(), None, signature, max_rows=1000)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            by_frame = np.asarray(model.predict(frame))
            by_array = np.asarray(model.predict(frame.to_numpy(dtype="float64")))
    except Exception:
        return False
    if not np.array_equal(by_frame, by_array):
        return False
    warnings.filterwarnings("ignore", message=_NO_FEATURE_NAMES, category=UserWarning)
    return True


_NO_FEATURE_NAMES = "X does not have valid feature names"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
