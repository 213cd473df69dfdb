"""The values of a scoring request, one column at a time, and the answer's values: what
`studio.serving.scoring` needs beyond the shape of the table.

A column is converted to the type its signature declares, the way MLflow does (numeric
strings become numbers), and the first value that does not fit is named with its row.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

NUMERIC_DTYPES = {"double": np.float64, "float": np.float32, "long": np.int64, "integer": np.int32}
_INTEGRAL = frozenset({"long", "integer"})
_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class ScoringError(Exception):
    """A request the endpoint refuses: `status` is its HTTP status, `error_code` MLflow's."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message


def bad_request(message: str) -> ScoringError:
    return ScoringError(400, "BAD_REQUEST", message)


def invalid(message: str) -> ScoringError:
    return ScoringError(422, "INVALID_PARAMETER_VALUE", message)


def encode_predictions(predictions: Any) -> list[Any]:
    """A model's predictions as JSON values: numbers, text, booleans, null for NaN."""
    if isinstance(predictions, pd.DataFrame | pd.Series):
        predictions = predictions.to_numpy()
    array = np.asarray(predictions)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.dtype.kind in "biu":
        return array.tolist()  # type: ignore[no-any-return]
    if array.dtype.kind == "f":
        if np.isfinite(array).all():
            return array.tolist()  # type: ignore[no-any-return]
        return _nested(array.tolist(), _finite_or_none)
    return _nested(array.tolist(), _json_scalar)


# Typing each column -------------------------------------------------------------------------


def typed_frame(
    values: Sequence[list[Any]], names: Sequence[str], dtypes: Sequence[str], index: pd.Index
) -> pd.DataFrame:
    """A DataFrame of columns `values` (lists of JSON values), each converted to its dtype;
    raises `ScoringError` 422 naming the first value that does not fit, with its row."""
    columns = {
        name: _convert(column, name, dtype)
        for name, dtype, column in zip(names, dtypes, values, strict=True)
    }
    return pd.DataFrame(columns, columns=index, copy=False)


def _convert(column: list[Any], name: str, dtype: str) -> Any:
    numpy_type = NUMERIC_DTYPES.get(dtype)
    if numpy_type is not None:
        return _numeric(column, name, dtype, numpy_type)
    if dtype == "boolean":
        return np.array([_boolean(value, name, row) for row, value in enumerate(column)])
    if dtype == "datetime":
        return _datetimes(column, name)
    if dtype == "binary":
        return np.array([_binary(value, name, row) for row, value in enumerate(column)], object)
    return np.array([_text(value, name, row) for row, value in enumerate(column)], dtype=object)


def _numeric(column: list[Any], name: str, dtype: str, numpy_type: Any) -> Any:
    try:
        floats = np.array([math.nan if value is None else value for value in column], np.float64)
    except (ValueError, TypeError, OverflowError):
        floats = None
    if floats is None or floats.ndim != 1:  # text, or lists in cells: find the first culprit
        floats = np.array([_one_float(value, name, dtype, row) for row, value in enumerate(column)])
    converted = cast_numbers(floats, dtype)
    if converted is not None:
        return converted
    bad = np.flatnonzero(~_whole_numbers(floats, numpy_type))
    row = int(bad[0])
    found = "null" if column[row] is None else _shown(column[row])
    raise invalid(f"column {name!r} expects {dtype} (a whole number), got {found} at row {row}")


def cast_numbers(floats: np.ndarray[Any, Any], dtype: str) -> np.ndarray[Any, Any] | None:
    """`floats` as the numeric `dtype`; None when an integer column gets a fraction, a null
    or a number out of its range."""
    if dtype == "double":
        return floats
    numpy_type = NUMERIC_DTYPES[dtype]
    if dtype not in _INTEGRAL:
        with np.errstate(over="ignore"):  # a double too big for a float32 column is infinite
            return floats.astype(numpy_type, copy=False)
    if not _whole_numbers(floats, numpy_type).all():
        return None
    return floats.astype(numpy_type)


def _whole_numbers(floats: np.ndarray[Any, Any], numpy_type: Any) -> np.ndarray[Any, Any]:
    limits = np.iinfo(numpy_type)
    with np.errstate(invalid="ignore"):
        fits: np.ndarray[Any, Any] = np.isfinite(floats) & (floats == np.trunc(floats))
        fits &= (floats >= limits.min) & (floats <= limits.max)
    return fits


def _one_float(value: Any, name: str, dtype: str, row: int) -> float:
    if value is None:
        return math.nan
    try:
        return float(value)
    except (ValueError, TypeError, OverflowError):
        raise invalid(
            f"column {name!r} expects {dtype}, got {_shown(value)} at row {row}"
        ) from None


def _boolean(value: Any, name: str, row: int) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise invalid(f"column {name!r} expects boolean, got {_shown(value)} at row {row}")


def _text(value: Any, name: str, row: int) -> Any:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):  # a category sent as a number
        return str(value)
    raise invalid(f"column {name!r} expects string, got {_shown(value)} at row {row}")


def _binary(value: Any, name: str, row: int) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            pass
    raise invalid(f"column {name!r} expects base64 binary, got {_shown(value)} at row {row}")


def _datetimes(column: list[Any], name: str) -> Any:
    for row, value in enumerate(column):
        if value is not None and not isinstance(value, str):
            raise invalid(
                f"column {name!r} expects a datetime in ISO text, got {_shown(value)} at row {row}"
            )
    try:
        return pd.to_datetime(pd.Series(column, dtype=object), format="ISO8601").to_numpy()
    except (ValueError, TypeError, OverflowError) as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise invalid(f"column {name!r} expects datetimes in ISO text: {first_line}") from None


# JSON values --------------------------------------------------------------------------------


def kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), f"a {type(value).__name__}"
    )


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _finite_or_none(value: Any) -> Any:
    return value if math.isfinite(value) else None


def _json_scalar(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return _json_scalar(value.item())
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def _nested(values: Any, convert: Any) -> list[Any]:
    return [
        _nested(value, convert) if isinstance(value, list) else convert(value) for value in values
    ]
