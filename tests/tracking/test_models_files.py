"""Model files: skops by default, the types in them trusted by policy or by approval, pickles
only on request, and a file changed after saving refused."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import joblib
import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

import studio
from studio.errors import InvalidInput, UntrustedModel
from studio.tracking.autolog import autolog
from studio.tracking.model_trust import (
    needs_approval,
    not_servable,
    trusted_for_loading,
    untrusted_reasons,
)
from studio.tracking.models import (
    JOBLIB_FILE,
    META_FILE,
    SKOPS_FILE,
    ModelFormatWarning,
    load_model,
    read_model_meta,
    save_model,
)

if TYPE_CHECKING:
    import pandas as pd

IRIS = load_iris(as_frame=True)
X: pd.DataFrame = IRIS.data
y: pd.Series = IRIS.target


def doubled(values: Any) -> Any:
    """A user's function in an importable module: servable, but it must be approved."""
    return values * 2


class Slotted:
    """An object skops cannot save (slots, no __getstate__), but pickle can."""

    __slots__ = ("weight",)

    def __init__(self) -> None:
        self.weight = 3


def test_a_logistic_regression_round_trips_as_skops_with_its_signature(tmp_path: Path) -> None:
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y)
    folder = save_model(model, tmp_path / "model", input_example=X)

    meta = read_model_meta(folder)
    assert (meta.format, meta.model_file, meta.flavor) == ("skops", SKOPS_FILE, "sklearn")
    assert meta.model_class == "sklearn.pipeline.Pipeline"
    assert meta.untrusted_types == ()
    assert meta.not_servable == ()
    assert len(meta.sha256) == 64
    assert not (folder / JOBLIB_FILE).exists()
    assert meta.signature is not None
    assert meta.input_example is not None
    assert [c["name"] for c in meta.signature["inputs"]] == list(X.columns)
    assert {c["dtype"] for c in meta.signature["inputs"]} == {"double"}
    assert meta.signature["outputs"] == {"dtype": "long", "classes": [0, 1, 2]}
    split = meta.input_example["dataframe_split"]
    assert split["columns"] == list(X.columns)
    assert split["data"][0] == X.iloc[0].tolist()
    assert len(split["data"]) == 5
    loaded = load_model(folder)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))


def test_a_forest_needs_no_approval_its_tree_type_is_scikit_learns(tmp_path: Path) -> None:
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    folder = save_model(model, tmp_path / "rf")
    meta = read_model_meta(folder)
    assert meta.untrusted_types == ("sklearn.tree._tree.Tree",)
    assert meta.needs_approval == []
    assert meta.signature is None
    np.testing.assert_array_equal(load_model(folder).predict(X), model.predict(X))


def test_a_pipeline_with_an_imputer_holds_a_numpy_dtype_trusted_by_policy(tmp_path: Path) -> None:
    frame = X.assign(colour=np.where(y == 0, "red", "blue"))
    frame.iloc[3, 0] = np.nan
    model = make_pipeline(
        ColumnTransformer(
            [("num", SimpleImputer(), list(X.columns)), ("cat", OneHotEncoder(), ["colour"])]
        ),
        LogisticRegression(max_iter=500),
    ).fit(frame, y)
    folder = save_model(model, tmp_path / "pipe", input_example=frame.iloc[2:8])

    meta = read_model_meta(folder)
    assert "numpy.dtype" in meta.untrusted_types
    assert meta.needs_approval == []
    assert meta.signature is not None
    assert meta.input_example is not None
    assert meta.signature["inputs"][-1] == {"name": "colour", "dtype": "string"}
    assert meta.input_example["dataframe_split"]["data"][1][0] is None  # NaN becomes null
    json.loads((folder / META_FILE).read_text(), parse_constant=_refuse_constant)
    np.testing.assert_array_equal(load_model(folder).predict(frame), model.predict(frame))


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"studio-model.json holds {name}, which is not JSON")


def test_an_unapproved_type_is_refused_with_how_to_approve_it(tmp_path: Path) -> None:
    model = make_pipeline(FunctionTransformer(doubled), LogisticRegression(max_iter=500))
    folder = save_model(model.fit(X, y), tmp_path / "model")
    name = f"{__name__}.doubled"
    meta = read_model_meta(folder)
    assert meta.needs_approval == [name]
    assert meta.not_servable == ()

    with pytest.raises(UntrustedModel) as refused:
        load_model(folder)
    assert name in str(refused.value)
    assert f"approve_types=['{name}']" in str(refused.value)
    assert "trusted=True" in str(refused.value)
    with pytest.raises(UntrustedModel, match="doubled"):
        load_model(folder, approved_types=["something.else"])
    approved = load_model(folder, approved_types=[name])
    np.testing.assert_array_equal(approved.predict(X), model.predict(X))
    assert load_model(folder, trusted=True).predict(X).shape == (150,)


def test_the_policy_trusts_scikit_learn_and_explains_skops_doubts(tmp_path: Path) -> None:
    folder = save_model(RandomForestClassifier(n_estimators=2).fit(X, y), tmp_path / "rf")
    meta = read_model_meta(folder)
    # The policy never vouches for a type by the file's own word alone.
    assert trusted_for_loading(["evil.Type", *meta.untrusted_types], []) == [
        "sklearn.tree._tree.Tree"
    ]
    assert needs_approval(["evil.Type", "numpy.dtype", "sklearn.x.Y"]) == ["evil.Type"]
    reasons = untrusted_reasons([*meta.untrusted_types, "evil.Type"])
    assert list(reasons) == ["sklearn.tree._tree.Tree"]
    assert "bounds" in reasons["sklearn.tree._tree.Tree"]
    assert not_servable(["__main__.f", "m.<lambda>", "m.f.<locals>.g", "m.g"]) == [
        "__main__.f",
        "m.<lambda>",
        "m.f.<locals>.g",
    ]


def test_a_function_defined_in_the_notebook_is_flagged_not_servable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ratio(values: Any) -> Any:
        return values / 2

    ratio.__module__, ratio.__qualname__ = "__main__", "ratio"
    monkeypatch.setattr(sys.modules["__main__"], "ratio", ratio, raising=False)
    model = make_pipeline(FunctionTransformer(ratio), LogisticRegression(max_iter=500)).fit(X, y)
    meta = read_model_meta(save_model(model, tmp_path / "model"))
    assert meta.format == "skops"
    assert meta.untrusted_types == ("__main__.ratio",)
    assert meta.not_servable == ("__main__.ratio",)


def test_a_lambda_cannot_be_saved_and_the_error_says_why(tmp_path: Path) -> None:
    model = FunctionTransformer(lambda values: values).fit(X)
    with pytest.raises(InvalidInput, match="lambda"):
        save_model(model, tmp_path / "model")


def test_a_file_changed_after_saving_is_refused(tmp_path: Path) -> None:
    folder = save_model(LogisticRegression(max_iter=500).fit(X, y), tmp_path / "model")
    other = save_model(LogisticRegression(C=0.01, max_iter=500).fit(X, y), tmp_path / "other")
    (folder / SKOPS_FILE).write_bytes((other / SKOPS_FILE).read_bytes())
    with pytest.raises(UntrustedModel, match="sha256"):
        load_model(folder)
    with pytest.raises(UntrustedModel, match="sha256"):  # the registry's digest wins
        load_model(other, sha256=read_model_meta(tmp_path / "model").sha256 + "0")


def test_a_folder_written_by_the_pickle_format_loads_only_when_trusted(tmp_path: Path) -> None:
    model = LogisticRegression(max_iter=500).fit(X, y)
    folder = tmp_path / "legacy"
    folder.mkdir()
    joblib.dump(model, folder / JOBLIB_FILE)
    legacy = {"format": "joblib", "model_file": JOBLIB_FILE, "class": "x.Y", "flavor": "sklearn"}
    (folder / META_FILE).write_text(json.dumps(legacy))

    meta = read_model_meta(folder)
    assert (meta.format, meta.model_class, meta.sha256, meta.untrusted_types) == (
        "joblib",
        "x.Y",
        "",
        (),
    )
    with pytest.raises(UntrustedModel, match="pickle"):
        load_model(folder)
    np.testing.assert_array_equal(load_model(folder, trusted=True).predict(X), model.predict(X))


def test_what_skops_cannot_save_is_pickled_with_a_warning(tmp_path: Path) -> None:
    with pytest.warns(ModelFormatWarning, match="trusted=True"):
        folder = save_model(Slotted(), tmp_path / "model")
    meta = read_model_meta(folder)
    assert (meta.format, meta.model_file, meta.flavor) == ("joblib", JOBLIB_FILE, "python")
    with pytest.raises(UntrustedModel, match="pickle"):
        load_model(folder)
    assert load_model(folder, trusted=True).weight == 3


def test_a_meta_naming_another_file_is_refused(tmp_path: Path) -> None:
    folder = save_model(LogisticRegression(max_iter=500).fit(X, y), tmp_path / "model")
    raw = json.loads((folder / META_FILE).read_text())
    (folder / META_FILE).write_text(json.dumps({**raw, "model_file": "../../etc/passwd"}))
    with pytest.raises(InvalidInput, match="format"):
        load_model(folder, trusted=True)
    with pytest.raises(InvalidInput, match="not a Studio model folder"):
        read_model_meta(tmp_path)


def test_autolog_and_log_model_give_the_model_a_signature(uri: str, tmp_path: Path) -> None:
    autolog(tracking_uri=uri, experiment="autolog")
    try:
        LogisticRegression(max_iter=500).fit(X, y)
    finally:
        autolog(disable=True)
    array = X.to_numpy()
    with studio.start_run(experiment="mine", tracking_uri=uri) as run:
        run.log_model(LogisticRegression(max_iter=500).fit(array, y), input_example=array)
    client = studio.Client(uri)
    logged, autologged = sorted(client.search_runs(), key=lambda r: r.id == run.id, reverse=True)

    meta = read_model_meta(client.download_artifacts(autologged.id, "model", tmp_path / "a"))
    assert meta.signature is not None
    assert meta.input_example is not None
    assert [c["name"] for c in meta.signature["inputs"]] == list(X.columns)
    assert meta.input_example["dataframe_split"]["data"] == X.head(5).to_numpy().tolist()
    meta = read_model_meta(client.download_artifacts(logged.id, "model", tmp_path / "l"))
    assert meta.signature is not None
    assert meta.input_example is not None
    assert [c["name"] for c in meta.signature["inputs"]] == ["x0", "x1", "x2", "x3"]
    assert meta.input_example["dataframe_split"]["columns"] == ["x0", "x1", "x2", "x3"]
