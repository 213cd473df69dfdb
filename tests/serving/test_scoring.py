"""Parsing `POST /invocations` bodies: MLflow's four JSON formats and CSV into the frame a
model predicts on, and every refusal with its status and a message naming the fault."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio.serving.scoring import ScoringError, encode_predictions, parse_request

NUMBERS = {"inputs": [{"name": name, "dtype": "double"} for name in ("a", "b")]}
MIXED = {
    "inputs": [
        {"name": "n", "dtype": "long"},
        {"name": "x", "dtype": "float"},
        {"name": "c", "dtype": "string"},
        {"name": "f", "dtype": "boolean"},
        {"name": "t", "dtype": "datetime"},
        {"name": "k", "dtype": "integer"},
    ]
}
ROW = {"n": 1, "x": 0.5, "c": "red", "f": True, "t": "2026-11-30T12:00:00", "k": 7}


def parse(body: Any, signature: Any = NUMBERS, content_type: str | None = None, **kw: Any) -> Any:
    if isinstance(body, bytes):
        raw = body
    else:
        raw = body.encode() if isinstance(body, str) else json.dumps(body).encode()
    return parse_request(raw, content_type, signature, max_rows=kw.get("max_rows", 100))


def refused(body: Any, signature: Any = NUMBERS, content_type: str | None = None, **kw: Any) -> Any:
    with pytest.raises(ScoringError) as error:
        parse(body, signature, content_type, **kw)
    return error.value


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ({"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3, 4]]}}, None),
        ({"dataframe_split": {"columns": ["b", "a"], "data": [[2, 1], [4, 3]]}}, None),
        ({"dataframe_split": {"data": [[1, 2], [3, 4]], "index": [7, 8]}}, None),
        ({"dataframe_records": [{"a": 1, "b": 2}, {"b": 4, "a": 3, "extra": "x"}]}, None),
        ({"instances": [{"a": 1, "b": 2}, {"a": 3, "b": 4}]}, "application/json"),
        ({"instances": [[1, 2], [3, 4]]}, "application/json; charset=utf-8"),
        ({"inputs": [[1, 2], ["3", "4.0"]], "params": {"ignored": True}}, None),
        ({"inputs": {"a": [1, 3], "b": [2, 4], "extra": [0, 0]}}, "Application/JSON"),
        ("b,a,extra\n2,1,x\n4,3,y\n", "text/csv"),
    ],
)
def test_every_format_gives_the_signature_s_columns_in_order(
    body: Any, content_type: str | None
) -> None:
    frame = parse(body, content_type=content_type)
    assert list(frame.columns) == ["a", "b"]
    assert frame.dtypes.tolist() == [np.float64, np.float64]
    assert frame.to_numpy().tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_columns_are_typed_as_the_signature_says() -> None:
    other = {**ROW, "n": "2", "x": None, "c": 3, "f": "false", "t": "2026-11-30", "k": 8.0}
    frame = parse({"dataframe_records": [ROW, other]}, MIXED)
    assert [str(dtype) for dtype in frame.dtypes] == [
        "int64",
        "float32",
        frame.dtypes["c"].name,
        "bool",
        "datetime64[us]",
        "int32",
    ]
    assert frame["n"].tolist() == [1, 2]
    assert np.isnan(frame["x"][1])
    assert frame["c"].tolist() == ["red", "3"]  # a category sent as a number
    assert frame["f"].tolist() == [True, False]
    assert frame["t"][1] == pd.Timestamp("2026-11-30")
    csv = "n,x,c,f,t,k\n1,0.5,red,true,2026-11-30,7\n2,,blue,0,2026-12-01T08:00,8\n"
    frame = parse(csv, MIXED, "text/csv")
    assert frame["n"].tolist() == [1, 2]
    assert frame["f"].tolist() == [True, False]
    assert np.isnan(frame["x"][1])


def test_a_table_of_one_integer_type_is_one_array_and_a_fraction_is_named() -> None:
    longs = {"inputs": [{"name": name, "dtype": "long"} for name in ("p", "q")]}
    frame = parse({"inputs": [[1, "2"], [3, 4.0]]}, longs)
    assert frame.dtypes.tolist() == [np.int64, np.int64]
    assert frame.to_numpy().tolist() == [[1, 2], [3, 4]]
    error = refused({"inputs": {"q": [1, 2], "p": [3, 4.5]}}, longs)
    assert error.status == 422
    assert "column 'p'" in error.message
    assert "4.5 at row 1" in error.message


def test_without_a_signature_the_request_s_table_is_kept() -> None:
    assert parse({"inputs": [[1, 2]]}, None).to_numpy().tolist() == [[1.0, 2.0]]
    frame = parse({"dataframe_records": [{"p": "x", "q": 2}]}, None)
    assert list(frame.columns) == ["p", "q"]
    assert frame["p"].tolist() == ["x"]
    assert parse({"inputs": [5, 6]}, None).shape == (2, 1)


@pytest.mark.parametrize(
    ("body", "content_type", "status", "fragments"),
    [
        ("<x/>", "application/xml", 415, ["application/xml", "text/csv"]),
        ("{}", "application/json; charset=latin-1", 415, ["UTF-8", "latin-1"]),
        ("", None, 400, ["empty"]),
        ("{not json", None, 400, ["not valid JSON"]),
        (b"\xff\xfe", None, 400, ["not valid JSON"]),
        ([1, 2], None, 400, ["exactly one of", "a list"]),
        ({"rows": []}, None, 400, ["exactly one of", "rows"]),
        ({"inputs": [[1, 2]], "instances": [[1, 2]]}, None, 400, ["exactly one of"]),
        ({"dataframe_records": {"a": 1}}, None, 400, ["list of records", "an object"]),
        ({"dataframe_records": [{"a": 1, "b": 2}, 3]}, None, 400, ["record 1", "an object"]),
        ({"dataframe_split": {"data": [[1, 2]], "x": 1}}, None, 400, ["'data'", "'x'"]),
        ({"dataframe_split": {"columns": "a", "data": [[1]]}}, None, 400, ["'columns'"]),
        ({"dataframe_split": {"data": {"a": 1}}}, None, 400, ["'data'", "list of rows"]),
        ({"dataframe_split": {"columns": ["a", "a"], "data": [[1, 2]]}}, None, 400, ["twice"]),
        ({"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2], [3]]}}, None, 400, ["row 1"]),
        ({"inputs": [[1, 2], [3]]}, None, 400, ["row 1 has 1 values", "expected 2"]),
        ({"inputs": [[1, 2, 3]]}, None, 400, ["row 0 has 3 values", "['a', 'b']"]),
        ({"inputs": [1, 2]}, None, 400, ["list of 2 values"]),
        ({"inputs": [[1, 2], 3]}, None, 400, ["row 1", "list of values"]),
        ({"inputs": "a,b"}, None, 400, ["list of rows or an object"]),
        ({"inputs": {"a": [1, 2], "b": [1]}}, None, 400, ["as many values"]),
        ({"inputs": []}, None, 400, ["no rows"]),
        ("a,b\n1,2,3\n", "text/csv", 400, ["row 0 has 3 values"]),
        ("\n\n", "text/csv", 400, ["CSV body is empty"]),
        ({"inputs": [[1, 2]] * 11}, None, 413, ["11 rows", "at most 10"]),
        ({"dataframe_records": [{"a": 1}]}, None, 422, ["missing column(s) ['b']"]),
        ({"dataframe_split": {"columns": ["a", "c"], "data": [[1, 2]]}}, None, 422, ["['b']"]),
        ("a,c\n1,2\n", "text/csv", 422, ["missing column(s) ['b']"]),
        ({"inputs": [[1, 2], [3, "abc"]]}, None, 422, ["column 'b'", "double", "'abc'", "row 1"]),
        ({"inputs": [[1, {"x": 1}]]}, None, 422, ["column 'b'", "row 0"]),
        ({"inputs": [[1, [2, 3]]]}, None, 422, ["column 'b'", "row 0"]),
    ],
)
def test_every_refusal_has_its_status_and_names_the_fault(
    body: Any, content_type: str | None, status: int, fragments: list[str]
) -> None:
    error = refused(body, content_type=content_type, max_rows=10)
    assert error.status == status, error.message
    for fragment in fragments:
        assert fragment in error.message
    assert (
        error.error_code
        == {
            400: "BAD_REQUEST",
            413: "RESOURCE_LIMIT_EXCEEDED",
            415: "UNSUPPORTED_MEDIA_TYPE",
            422: "INVALID_PARAMETER_VALUE",
        }[status]
    )


@pytest.mark.parametrize(
    ("column", "value", "fragments"),
    [
        ("n", 1.5, ["column 'n'", "whole number", "1.5", "row 1"]),
        ("n", None, ["column 'n'", "null", "row 1"]),
        ("n", 2**70, ["column 'n'", "whole number"]),
        ("k", 2**40, ["column 'k'", "integer"]),
        ("x", "abc", ["column 'x'", "float", "'abc'", "row 1"]),
        ("f", "maybe", ["column 'f'", "boolean", "'maybe'", "row 1"]),
        ("f", 2, ["column 'f'", "boolean", "row 1"]),
        ("c", [1], ["column 'c'", "string", "row 1"]),
        ("t", "not a date", ["column 't'", "datetime"]),
        ("t", 12, ["column 't'", "datetime", "row 1"]),
    ],
)
def test_a_value_of_the_wrong_type_is_named_with_its_column_and_row(
    column: str, value: Any, fragments: list[str]
) -> None:
    error = refused({"dataframe_records": [ROW, {**ROW, column: value}]}, MIXED)
    assert error.status == 422
    for fragment in fragments:
        assert fragment in error.message


def test_predictions_become_json_values() -> None:
    assert encode_predictions(np.array([1, 0])) == [1, 0]
    assert encode_predictions(np.array([0.5, np.nan, np.inf])) == [0.5, None, None]
    assert encode_predictions(np.array(["yes", "no"], dtype=object)) == ["yes", "no"]
    assert encode_predictions(np.array([[0.25, 0.75]])) == [[0.25, 0.75]]
    assert encode_predictions(pd.Series([True, False])) == [True, False]
    assert encode_predictions(np.float64(2.5)) == [2.5]
    assert json.dumps(encode_predictions(np.array([np.int64(3), None], dtype=object)))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=4)
    ),
    max_leaves=20,
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
TABLES = st.one_of(
    st.lists(st.lists(SCALARS, max_size=7), max_size=5),
    st.lists(st.dictionaries(st.sampled_from([*ROW, "a", "b"]), SCALARS), max_size=5),
    st.dictionaries(st.sampled_from([*ROW, "a", "b"]), st.lists(SCALARS, max_size=3) | SCALARS),
)
BODIES = st.one_of(
    st.tuples(st.sampled_from(["dataframe_records", "instances", "inputs"]), TABLES).map(
        lambda pair: json.dumps({pair[0]: pair[1]}).encode()
    ),
    st.fixed_dictionaries(
        {"columns": st.lists(st.sampled_from([*ROW, "a", "b"])), "data": TABLES}
    ).map(lambda split: json.dumps({"dataframe_split": split}).encode()),
    JSON_VALUES.map(lambda value: json.dumps(value).encode()),
    st.dictionaries(
        st.sampled_from(["dataframe_split", "dataframe_records", "instances", "inputs", "x"]),
        JSON_VALUES,
        max_size=2,
    ).map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=40),
    st.text(max_size=40).map(str.encode),
)


@settings(max_examples=300, deadline=None, database=None)
@given(
    body=BODIES,
    content_type=st.sampled_from([None, "application/json", "text/csv", "text/plain"]),
    signature=st.sampled_from([NUMBERS, MIXED, None]),
)
def test_any_body_is_parsed_or_refused_with_a_scoring_error(
    body: bytes, content_type: str | None, signature: Any
) -> None:
    outcome: pd.DataFrame | ScoringError
    try:
        outcome = parse_request(body, content_type, signature, max_rows=50)
    except ScoringError as error:  # anything else fails the test
        outcome = error
    if isinstance(outcome, ScoringError):
        assert outcome.status in (400, 413, 415, 422)
        assert outcome.message
    else:
        assert isinstance(outcome, pd.DataFrame)
        if signature is not None:
            assert list(outcome.columns) == [column["name"] for column in signature["inputs"]]
