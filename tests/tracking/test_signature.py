"""Signatures and input examples, inferred from what a model was trained or tried on."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from studio.errors import InvalidInput
from studio.tracking.signature import ColumnSpec, Signature, infer_signature, input_example


def test_each_column_gets_mlflow_s_type_name() -> None:
    frame = pd.DataFrame(
        {
            "flag": [True, False],
            "small": np.array([1, 2], dtype=np.int32),
            "big": np.array([1, 2], dtype=np.int64),
            "unsigned": np.array([1, 2], dtype=np.uint64),
            "single": np.array([0.5, 1.5], dtype=np.float32),
            "real": [0.5, np.nan],
            "text": ["a", "b"],
            "category": pd.Categorical(["a", "b"]),
            "when": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "nullable": pd.array([1, None], dtype="Int64"),
            "mixed": pd.Series([1, 2.5], dtype=object),
            "raw": pd.Series([b"a", b"b"], dtype=object),
        }
    )
    signature = infer_signature(frame)
    assert {c.name: c.dtype for c in signature.inputs} == {
        "flag": "boolean",
        "small": "integer",
        "big": "long",
        "unsigned": "long",
        "single": "float",
        "real": "double",
        "text": "string",
        "category": "string",
        "when": "datetime",
        "nullable": "long",
        "mixed": "double",
        "raw": "binary",
    }
    assert signature.outputs == {}


def test_an_array_s_columns_are_named_as_the_model_knows_them() -> None:
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
    model = LinearRegression().fit(X, [1.0, 2.0, 3.0])
    signature = infer_signature(X, model.predict(X), model)
    assert signature.column_names == ["x0", "x1"]
    assert signature.outputs == {"dtype": "double"}  # no classes for a regressor

    named = LogisticRegression().fit(pd.DataFrame(X, columns=["a", "b"]), ["no", "yes", "no"])
    signature = infer_signature(X, None, named)
    assert signature.column_names == ["a", "b"]
    assert signature.outputs == {"dtype": "string", "classes": ["no", "yes"]}


def test_a_signature_survives_its_dict_and_refuses_a_bad_one() -> None:
    signature = Signature((ColumnSpec("a", "double"), ColumnSpec("b", "string")), {"dtype": "long"})
    assert Signature.from_dict(json.loads(json.dumps(signature.to_dict()))) == signature
    with pytest.raises(InvalidInput, match="unknown signature dtype"):
        Signature.from_dict({"inputs": [{"name": "a", "dtype": "float128"}]})
    with pytest.raises(InvalidInput, match="each column once"):
        Signature.from_dict({"inputs": [{"name": "a", "dtype": "long"}] * 2})
    with pytest.raises(InvalidInput, match="not a model signature"):
        Signature.from_dict({"columns": []})


def test_an_input_example_is_plain_json() -> None:
    frame = pd.DataFrame(
        {
            "n": np.arange(8, dtype=np.int64),
            "x": [0.5, np.nan, np.inf, 1, 2, 3, 4, 5],
            "t": ["a", None, "c", "d", "e", "f", "g", "h"],
            "when": pd.to_datetime(["2026-01-01"] * 7 + [None]),
            "flag": np.array([True] * 8),
        }
    )
    example = input_example(frame)
    split = example["dataframe_split"]
    assert split["columns"] == ["n", "x", "t", "when", "flag"]
    assert split["data"][:2] == [
        [0, 0.5, "a", "2026-01-01T00:00:00", True],
        [1, None, None, "2026-01-01T00:00:00", True],
    ]
    assert split["data"][2][1] is None  # infinity is not JSON either
    assert len(split["data"]) == 5
    assert type(split["data"][0][0]) is int
    assert type(split["data"][0][4]) is bool
    json.dumps(example, allow_nan=False)

    rows = input_example(np.array([[1, 2], [3, 4]], dtype=np.int32), rows=1, columns=["p", "q"])
    assert rows == {"dataframe_split": {"columns": ["p", "q"], "data": [[1, 2]]}}
    assert input_example([[1, "a"]])["dataframe_split"]["columns"] == ["x0", "x1"]


def test_what_is_not_a_table_gets_no_signature() -> None:
    with pytest.raises(InvalidInput, match="2-D array"):
        infer_signature(np.arange(3))
    with pytest.raises(InvalidInput, match="2-D array"):
        input_example(["a text", "another"])
