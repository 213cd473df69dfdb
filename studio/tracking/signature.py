"""A model's signature (its input columns with their types, and its output) and its input
example, inferred from the data it was trained or tried on.

The type names are MLflow's, so that a signature reads the same in both tools. Endpoints
validate requests against the signature, and the panel's "try it" box starts from the example.
"""

from __future__ import annotations

import base64
import datetime
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from studio.errors import InvalidInput

DTYPES = ("boolean", "integer", "long", "float", "double", "string", "datetime", "binary")
OUTPUT_DTYPES = ("boolean", "long", "double", "string")
_EXAMPLE_ROWS = 5


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    dtype: str


@dataclass(frozen=True)
class Signature:
    """`outputs` is `{"dtype": ..., "classes": [...]}` (classes for classifiers only), or
    empty when nothing was predicted."""

    inputs: tuple[ColumnSpec, ...]
    outputs: dict[str, Any]

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.inputs]

    def to_dict(self) -> dict[str, Any]:
        return {
            "inputs": [{"name": column.name, "dtype": column.dtype} for column in self.inputs],
            "outputs": dict(self.outputs),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        try:
            inputs = tuple(ColumnSpec(str(c["name"]), str(c["dtype"])) for c in data["inputs"])
            outputs = dict(data.get("outputs") or {})
        except (KeyError, TypeError) as exc:
            raise InvalidInput(f"not a model signature: {exc!r}") from None
        unknown = sorted({column.dtype for column in inputs} - set(DTYPES))
        if unknown:
            raise InvalidInput(f"unknown signature dtype(s) {unknown}; known: {list(DTYPES)}")
        names = [column.name for column in inputs]
        if len(set(names)) != len(names):
            raise InvalidInput(f"a signature names each column once; got {names}")
        return cls(inputs, outputs)


def infer_signature(X: Any, predictions: Any = None, model: Any = None) -> Signature:
    """The signature of a table: a DataFrame's columns, or a 2-D array's, named as the model
    knows them (`feature_names_in_`) or as scikit-learn names them otherwise (x0, x1, ...)."""
    frame = _as_frame(X, _feature_names(model))
    inputs = tuple(
        ColumnSpec(str(name), column_dtype(frame.iloc[:, position]))
        for position, name in enumerate(frame.columns)
    )
    return Signature(inputs, _outputs(predictions, model))


def input_example(
    X: Any, rows: int = _EXAMPLE_ROWS, *, columns: Sequence[str] | None = None
) -> dict[str, Any]:
    """The first `rows` rows of `X` as a JSON-safe `dataframe_split` request body: numpy
    scalars become Python ones, NaN becomes null, times become ISO text."""
    frame = _as_frame(head(X, rows), columns)
    data = [[json_value(value) for value in row] for row in frame.itertuples(index=False)]
    return {"dataframe_split": {"columns": [str(c) for c in frame.columns], "data": data}}


def is_table(X: Any) -> bool:
    """Whether `X` is something a signature can describe: a DataFrame or a dense 2-D array."""
    if isinstance(X, pd.DataFrame):
        return True
    if isinstance(X, np.ndarray):
        return X.ndim == 2
    return isinstance(X, list | tuple) and bool(X) and isinstance(X[0], list | tuple)


def column_dtype(column: pd.Series) -> str:
    dtype = column.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "string"
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer" if np.can_cast(_numpy_dtype(dtype), np.int32) else "long"
    if pd.api.types.is_float_dtype(dtype):
        return "float" if np.can_cast(_numpy_dtype(dtype), np.float32) else "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "datetime"
    if dtype.kind == "S":
        return "binary"
    if dtype.kind == "O":
        return _object_dtype(column)
    return "string"


def json_value(value: Any) -> Any:
    """One cell as JSON: None for missing, Python numbers for numpy ones."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime.datetime | datetime.date | pd.Timestamp):
        return value.isoformat()
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _numpy_dtype(dtype: Any) -> np.dtype[Any]:
    """The numpy dtype behind a pandas extension dtype (Int64, Float32, ...)."""
    numpy_dtype: np.dtype[Any] = np.dtype(getattr(dtype, "numpy_dtype", dtype))
    return numpy_dtype


def _object_dtype(column: pd.Series) -> str:
    kind = pd.api.types.infer_dtype(column, skipna=True)
    return {
        "boolean": "boolean",
        "integer": "long",
        "floating": "double",
        "mixed-integer-float": "double",
        "decimal": "double",
        "bytes": "binary",
        "datetime": "datetime",
        "datetime64": "datetime",
        "date": "datetime",
    }.get(kind, "string")


def _outputs(predictions: Any, model: Any) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    if predictions is not None:
        values = np.asarray(predictions)
        outputs["dtype"] = _output_dtype(values.dtype)
        if values.ndim == 2:
            outputs["columns"] = int(values.shape[1])
    classes = getattr(model, "classes_", None)
    if isinstance(classes, np.ndarray) and classes.ndim == 1:
        outputs["classes"] = [json_value(value) for value in classes]
        outputs.setdefault("dtype", _output_dtype(classes.dtype))
    return outputs


def _output_dtype(dtype: np.dtype[Any]) -> str:
    if dtype.kind == "b":
        return "boolean"
    if dtype.kind in "iu":
        return "long"
    if dtype.kind == "f":
        return "double"
    return "string"


def _feature_names(model: Any) -> list[str] | None:
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(name) for name in names]


def head(X: Any, rows: int = _EXAMPLE_ROWS) -> Any:
    """The first rows of a table, of the same kind (the model predicts on them)."""
    if isinstance(X, pd.DataFrame):
        return X.iloc[:rows]
    if isinstance(X, np.ndarray):
        return X[:rows]
    if isinstance(X, list | tuple):
        return list(X[:rows])
    raise InvalidInput(f"a signature describes a DataFrame or a 2-D array, not {type(X).__name__}")


def _as_frame(X: Any, columns: Sequence[str] | None) -> pd.DataFrame:
    if isinstance(X, pd.DataFrame):
        return X
    if not is_table(X):
        raise InvalidInput(
            f"a signature describes a DataFrame or a 2-D array, not {type(X).__name__}"
            + (f" of {np.ndim(X)} dimension(s)" if isinstance(X, np.ndarray) else "")
        )
    frame = pd.DataFrame(X)
    width = frame.shape[1]
    names = list(columns) if columns is not None and len(columns) == width else None
    frame.columns = names or [f"x{i}" for i in range(width)]
    return frame
