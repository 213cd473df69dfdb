"""Saving and loading models as run artifacts: a folder with the model file and its metadata.

Models are written with skops, which stores data and the names of the types to rebuild, and
loads only the types someone trusted; a pickle would run whatever code its author put in it.
At save time Studio records the types skops does not trust by default; at load time it reads
them again from the file (which may have been swapped since) and trusts only scikit-learn's own,
plus the ones a person approved. What skops cannot save goes to joblib, and a joblib file loads
only with an explicit `trusted=True`, like every folder written before skops.
"""

from __future__ import annotations

import hashlib
import io
import json
import platform
import sys
import time
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import joblib

from studio.errors import InvalidInput, UntrustedModel
from studio.tracking import model_trust
from studio.tracking.environment import write_environment
from studio.tracking.signature import Signature, head, infer_signature, input_example, is_table

META_FILE = "studio-model.json"
SKOPS_FILE = "model.skops"
JOBLIB_FILE = "model.joblib"
_MODEL_FILES = {"skops": SKOPS_FILE, "joblib": JOBLIB_FILE}


class ModelFormatWarning(UserWarning):
    """A model was saved as a pickle, which loads only with `trusted=True`."""


@dataclass(frozen=True)
class ModelMeta:
    format: str  # "skops" | "joblib"
    model_file: str
    model_class: str
    flavor: str
    sha256: str  # of model_file; "" in folders written before skops
    untrusted_types: tuple[str, ...]
    not_servable: tuple[str, ...]
    signature: dict[str, Any] | None
    input_example: dict[str, Any] | None
    python_version: str
    library_versions: dict[str, str]
    saved_at: int

    @property
    def needs_approval(self) -> list[str]:
        return model_trust.needs_approval(self.untrusted_types)


def save_model(
    model: Any,
    folder: Path,
    *,
    input_example: Any = None,
    signature: Signature | Mapping[str, Any] | None = None,
) -> Path:
    """Write `model` into `folder` (created); returns the folder.

    `input_example` is a few rows the model takes (a DataFrame or a 2-D array, or an already
    JSON `dataframe_split` body); the signature is inferred from it when not given. Beside it,
    requirements.txt and python_env.yaml name what the model needs (`environment`).
    """
    signature_dict, example = _describe(model, input_example, signature)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        file_format, (data, untrusted_types) = "skops", _skops_bytes(model)
    except _SkopsCannotSave as failure:
        file_format, data, untrusted_types = "joblib", _joblib_bytes(model, failure), []
        warnings.warn(
            f"skops cannot save {_class_name(model)} ({failure}); it was saved as a pickle "
            "(joblib), which loads only with trusted=True",
            ModelFormatWarning,
            stacklevel=2,
        )
    model_file = _MODEL_FILES[file_format]
    (folder / model_file).write_bytes(data)
    not_servable = model_trust.not_servable([*untrusted_types, _class_name(model)])
    meta = ModelMeta(
        format=file_format,
        model_file=model_file,
        model_class=_class_name(model),
        flavor=_flavor(model),
        sha256=hashlib.sha256(data).hexdigest(),
        untrusted_types=tuple(untrusted_types),
        not_servable=tuple(not_servable),
        signature=signature_dict,
        input_example=example,
        python_version=platform.python_version(),
        library_versions=_library_versions(),
        saved_at=int(time.time() * 1000),
    )
    (folder / META_FILE).write_text(json.dumps(asdict(meta), indent=2))
    write_environment(model, folder)
    return folder


def read_model_meta(folder: Path) -> ModelMeta:
    """The metadata of a model folder, including those written before skops (joblib)."""
    meta_path = folder / META_FILE
    if not meta_path.is_file():
        raise InvalidInput(f"{str(folder)!r} is not a Studio model folder (no {META_FILE}).")
    try:
        raw = json.loads(meta_path.read_text())
        file_format = str(raw.get("format", "joblib"))
        meta = ModelMeta(
            format=file_format,
            model_file=str(raw.get("model_file", _MODEL_FILES.get(file_format, JOBLIB_FILE))),
            model_class=str(raw.get("model_class", raw.get("class", ""))),
            flavor=str(raw.get("flavor", "python")),
            sha256=str(raw.get("sha256", "")),
            untrusted_types=tuple(str(name) for name in raw.get("untrusted_types", ())),
            not_servable=tuple(str(name) for name in raw.get("not_servable", ())),
            signature=raw.get("signature"),
            input_example=raw.get("input_example"),
            python_version=str(raw.get("python_version", "")),
            library_versions=dict(raw.get("library_versions", {})),
            saved_at=int(raw.get("saved_at", 0)),
        )
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidInput(f"{str(meta_path)!r} is not valid model metadata: {exc}") from None
    # The model file's name is joined to local folders (a remote client downloads into one):
    # only the names Studio writes, never a path of the metadata's choosing.
    if _MODEL_FILES.get(meta.format) != meta.model_file:
        raise InvalidInput(
            f"{str(meta_path)!r}: unknown model format {meta.format!r} "
            f"or model file {meta.model_file!r}"
        )
    return meta


def load_model(
    folder: Path,
    *,
    trusted: bool = False,
    approved_types: Sequence[str] = (),
    sha256: str | None = None,
) -> Any:
    """Load a model saved by `save_model`.

    A skops file loads when every type it names is scikit-learn's, `numpy.dtype`, or in
    `approved_types`; `trusted=True` trusts them all, and is the only way to load a pickle.
    `sha256` is the digest recorded elsewhere (on a registered version); by default the
    folder's own metadata. Raises `UntrustedModel` naming what is not trusted.
    """
    meta = read_model_meta(folder)
    path = folder / meta.model_file
    if meta.format == "joblib" and not trusted:
        raise UntrustedModel(
            f"{str(path)!r} is a pickle (joblib): loading it runs any code its author put in "
            "it. Pass trusted=True only if you trust who saved it, or log the model again "
            "to save it with skops."
        )
    data = path.read_bytes()
    expected = sha256 if sha256 is not None else meta.sha256
    digest = hashlib.sha256(data).hexdigest()
    if expected and digest != expected:
        raise UntrustedModel(
            f"{str(path)!r} changed after it was saved: its sha256 is {digest}, "
            f"{expected} was recorded. Refusing to load it."
        )
    if meta.format == "joblib":
        return joblib.load(io.BytesIO(data))
    return _load_skops(data, path, trusted=trusted, approved_types=approved_types)


def inspect_model_file(folder: Path, meta: ModelMeta) -> tuple[str, list[str]]:
    """The model file's sha256 and the types skops does not trust in it, read from the file
    itself (the registry records these): the metadata is written by whoever logged the run,
    and a reviewer must see what the file really holds."""
    data = (folder / meta.model_file).read_bytes()
    sha256 = hashlib.sha256(data).hexdigest()
    if meta.sha256 and sha256 != meta.sha256:
        raise InvalidInput(
            f"The model file {meta.model_file} changed after it was logged (its sha256 is "
            f"{sha256}, its metadata says {meta.sha256}): log the model again."
        )
    if meta.format != "skops":
        return sha256, list(meta.untrusted_types)
    import skops.io as sio  # imports the whole of scikit-learn: only when asked

    try:
        return sha256, sorted(sio.get_untrusted_types(data=data))
    except Exception as exc:  # skops raises many kinds for a file it cannot read
        raise InvalidInput(f"{meta.model_file} is not a readable skops file: {exc}") from exc


def _load_skops(data: bytes, path: Path, *, trusted: bool, approved_types: Sequence[str]) -> Any:
    import skops.io as sio  # imports the whole of scikit-learn: only when a model is loaded

    in_file = sio.get_untrusted_types(data=data)
    allowed = in_file if trusted else model_trust.trusted_for_loading(in_file, approved_types)
    refused = sorted(set(in_file) - set(allowed))
    if refused:
        raise UntrustedModel(_untrusted_message(path, refused))
    return sio.loads(data, trusted=list(allowed))


def _untrusted_message(path: Path, refused: list[str]) -> str:
    reasons = model_trust.untrusted_reasons(refused)
    lines = [
        f"{str(path)!r} holds types that nobody approved: {refused}. Loading them could run "
        "code from whoever saved the model. Approve them on the registered version "
        f"(approve_types={refused}), or pass trusted=True if you trust who saved it."
    ]
    lines += [f"{name}: {reason}" for name, reason in reasons.items()]
    return "\n".join(lines)


class _SkopsCannotSave(Exception):
    """skops failed to save the model, or to load back what it saved."""


def _skops_bytes(model: Any) -> tuple[bytes, list[str]]:
    """The skops file of `model` and the types in it that skops does not trust, checked by
    loading it back (as MLflow does: a lambda saves, then fails to load)."""
    import skops.io as sio

    try:
        data = sio.dumps(model, compression=zipfile.ZIP_DEFLATED)
        untrusted = sio.get_untrusted_types(data=data)
        sio.loads(data, trusted=untrusted)
    except Exception as exc:  # skops raises many kinds for the objects it cannot handle
        raise _SkopsCannotSave(f"{type(exc).__name__}: {exc}") from exc
    return data, untrusted


def _joblib_bytes(model: Any, skops_failure: _SkopsCannotSave) -> bytes:
    buffer = io.BytesIO()
    try:
        joblib.dump(model, buffer)
    except Exception as exc:  # pickle raises PicklingError, AttributeError, TypeError, ...
        raise InvalidInput(
            f"cannot save {_class_name(model)}: skops failed ({skops_failure}) and so did "
            f"pickle ({type(exc).__name__}: {exc}). A lambda or a function defined inside "
            "another cannot be saved: define it at the top level of a module."
        ) from exc
    return buffer.getvalue()


def _describe(
    model: Any, example: Any, signature: Signature | Mapping[str, Any] | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The signature (given, or inferred from the example and the model's predictions on it)
    and the example as a JSON request body."""
    if isinstance(signature, Signature):
        signature_dict: dict[str, Any] | None = signature.to_dict()
    elif signature is not None:
        signature_dict = Signature.from_dict(signature).to_dict()
    else:
        signature_dict = None
    if example is None:
        return signature_dict, None
    if isinstance(example, Mapping):
        if "dataframe_split" not in example:
            raise InvalidInput("an input example is a table, or a {'dataframe_split': ...} body")
        return signature_dict, dict(example)
    if not is_table(example):
        raise InvalidInput(
            f"an input example is a DataFrame or a 2-D array, not {type(example).__name__}"
        )
    rows = head(example)
    if signature_dict is None:
        signature_dict = infer_signature(rows, _predictions(model, rows), model).to_dict()
    columns = [column["name"] for column in signature_dict["inputs"]]
    return signature_dict, input_example(rows, columns=columns)


def _predictions(model: Any, rows: Any) -> Any:
    """The model's answer on the example, for the output type; None when it cannot give one."""
    predict = getattr(model, "predict", None)
    if predict is None:
        return None
    try:
        with warnings.catch_warnings():
            # "X has feature names, but ... was fitted without": the example only types the output.
            warnings.simplefilter("ignore")
            return predict(rows)
    except Exception:  # a model that cannot predict on the example still gets saved
        return None


def _class_name(model: Any) -> str:
    return f"{type(model).__module__}.{type(model).__qualname__}"


def _flavor(model: Any) -> str:
    module = type(model).__module__.split(".")[0]
    return {"sklearn": "sklearn", "xgboost": "xgboost", "lightgbm": "lightgbm"}.get(
        module, "python"
    )


def _library_versions() -> dict[str, str]:
    versions = {}
    for name in ("sklearn", "numpy", "joblib", "skops"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "__version__"):
            versions[name] = module.__version__
    return versions
