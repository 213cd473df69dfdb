"""Request bodies of `POST /invocations` into the DataFrame a model predicts on, and its
predictions back into JSON.

The formats are MLflow's scoring protocol (`dataframe_split`, `dataframe_records`,
`instances`, `inputs`) plus CSV, so that MLflow clients work unchanged. The body is checked
against the model's signature, and every refusal names the column and the row at fault. This
runs on every request: a table of numbers takes one `np.array` and one DataFrame over it,
with the column index built once per signature; only tables with text or mixed types go
column by column.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from studio.serving.scoring_values import (
    NUMERIC_DTYPES,
    ScoringError,
    bad_request,
    cast_numbers,
    encode_predictions,
    invalid,
    kind,
    typed_frame,
)

__all__ = ["CONTENT_TYPES", "FORMATS", "ScoringError", "encode_predictions", "parse_request"]

FORMATS = ("dataframe_split", "dataframe_records", "instances", "inputs")
CONTENT_TYPES = ("application/json", "text/csv")
_SCHEMA_CACHE_SIZE = 64


@dataclass(frozen=True)
class _Schema:
    names: tuple[str, ...]
    dtypes: tuple[str, ...]
    index: pd.Index
    uniform: str | None  # the numeric dtype of every column, when they share one

    def typed(self, values: list[list[Any]]) -> pd.DataFrame:
        """Columns of JSON values (in the signature's order), each converted to its dtype."""
        array = self.numbers(values)
        if array is not None:  # a DataFrame stores its block transposed: no copy
            return pd.DataFrame(array.T, columns=self.index, copy=False)
        return typed_frame(values, self.names, self.dtypes, self.index)

    def numbers(self, table: list[Any]) -> np.ndarray[Any, Any] | None:
        """`table` (rows, or columns) as one array when every column has the same numeric
        dtype and every value fits it; None sends it column by column, which names the fault."""
        if self.uniform is None:
            return None
        array = _float_table(table)
        return None if array is None else cast_numbers(array, self.uniform)


_schemas: dict[int, tuple[Mapping[str, Any], _Schema]] = {}


def parse_request(
    body: bytes,
    content_type: str | None,
    signature: Mapping[str, Any] | None,
    *,
    max_rows: int,
) -> pd.DataFrame:
    """The rows of a request as a DataFrame with the signature's columns, in its order and
    types (extra columns dropped); raises `ScoringError` (415, 400, 413 or 422) otherwise.
    No Content-Type means JSON. Without a signature the request's own columns are kept."""
    mime, charset = _media_type(content_type)
    if mime not in CONTENT_TYPES:
        raise ScoringError(
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            f"Content-Type {mime!r} is not supported; use one of {list(CONTENT_TYPES)}",
        )
    if charset not in (None, "utf-8", "utf8"):
        raise ScoringError(415, "UNSUPPORTED_MEDIA_TYPE", f"only UTF-8 is supported, not {charset}")
    schema = _schema(signature)
    if mime == "text/csv":
        header, rows = _csv_rows(body)
        return _from_rows(rows, header, schema, max_rows, "text/csv")
    document = _json_document(body)
    key, data = _format_of(document)
    if key == "dataframe_split":
        columns, rows = _split_parts(data)
        return _from_rows(rows, columns, schema, max_rows, key)
    if key == "dataframe_records":
        if not isinstance(data, list):
            raise bad_request(f"dataframe_records must be a list of records, not {kind(data)}")
        return _from_records(data, schema, max_rows, key)
    if isinstance(data, dict):
        return _from_columns(data, schema, max_rows, key)
    if not isinstance(data, list):
        raise bad_request(f"{key} must be a list of rows or an object of columns, not {kind(data)}")
    if data and isinstance(data[0], dict):
        return _from_records(data, schema, max_rows, key)
    if data and not isinstance(data[0], list):
        if schema is not None and len(schema.names) != 1:
            raise bad_request(
                f"{key}: each row is a list of {len(schema.names)} values "
                f"({list(schema.names)}); got {kind(data[0])} at row 0"
            )
        data = [[value] for value in data]
    return _from_rows(data, None, schema, max_rows, key)


# Media type, JSON and CSV -------------------------------------------------------------------


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "application/json", None
    mime, _, parameters = content_type.partition(";")
    charset = None
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return mime.strip().lower(), charset


def _json_document(body: bytes) -> Any:
    if not body:
        raise bad_request('the body is empty; send a JSON object such as {"inputs": [[...]]}')
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise bad_request(f"the body is not valid JSON: {exc}") from None


def _format_of(document: Any) -> tuple[str, Any]:
    if not isinstance(document, dict):
        raise bad_request(
            f"the body must be a JSON object with exactly one of {list(FORMATS)}, "
            f"not {kind(document)}"
        )
    keys = [key for key in FORMATS if key in document]
    if len(keys) != 1:
        raise bad_request(
            f"the body must have exactly one of {list(FORMATS)}; it has {sorted(document)[:10]}"
        )
    return keys[0], document[keys[0]]


def _csv_rows(body: bytes) -> tuple[list[str], list[list[Any]]]:
    try:
        text = body.decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(text)))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise bad_request(f"the body is not valid CSV: {exc}") from None
    table = [row for row in table if row]
    if not table:
        raise bad_request("the CSV body is empty; its first line names the columns")
    header, rows = table[0], table[1:]
    # Empty CSV cells are missing values.
    return header, [[cell if cell != "" else None for cell in row] for row in rows]


def _split_parts(data: Any) -> tuple[list[Any] | None, list[Any]]:
    if not isinstance(data, dict) or "data" not in data or set(data) - {"columns", "data", "index"}:
        keys = sorted(data) if isinstance(data, dict) else kind(data)
        raise bad_request(
            f"dataframe_split must be an object with 'data' and optionally 'columns' and "
            f"'index'; got {keys}"
        )
    columns, rows = data.get("columns"), data["data"]
    if columns is not None and not isinstance(columns, list):
        raise bad_request(f"dataframe_split: 'columns' must be a list, not {kind(columns)}")
    if not isinstance(rows, list):
        raise bad_request(f"dataframe_split: 'data' must be a list of rows, not {kind(rows)}")
    return columns, rows


# Tables of rows, records and columns --------------------------------------------------------


def _from_rows(
    rows: list[Any],
    columns: Sequence[Any] | None,
    schema: _Schema | None,
    max_rows: int,
    source: str,
) -> pd.DataFrame:
    _check_count(len(rows), max_rows)
    width = len(columns) if columns is not None else (len(schema.names) if schema else None)
    for number, row in enumerate(rows):
        if not isinstance(row, list):
            raise bad_request(f"{source}: row {number} must be a list of values, not {kind(row)}")
        if width is None:
            width = len(row)
        if len(row) != width:
            raise bad_request(
                f"{source}: row {number} has {len(row)} values; "
                + (
                    f"the columns are {list(columns)}"
                    if columns is not None
                    else f"expected {width}"
                )
                + (f" ({list(schema.names)})" if columns is None and schema else "")
            )
    if schema is not None and (columns is None or tuple(columns) == schema.names):
        order = None  # positional rows, or the signature's columns in its order
    else:
        names = _column_names(columns, width or 0, source)
        if schema is None:
            return _unvalidated(rows, names)
        order = _order(names or [], schema)
    array = schema.numbers(rows)
    if array is not None:
        if order is not None:
            array = array[:, order]
        return pd.DataFrame(array, columns=schema.index, copy=False)
    # Text, or lists in cells: column by column, which names the first culprit.
    take = order if order is not None else range(len(schema.names))
    values = [[row[position] for row in rows] for position in take]
    return schema.typed(values)


def _from_records(
    records: list[Any], schema: _Schema | None, max_rows: int, source: str
) -> pd.DataFrame:
    _check_count(len(records), max_rows)
    for number, record in enumerate(records):
        if not isinstance(record, dict):
            raise bad_request(f"{source}: record {number} must be an object, not {kind(record)}")
    if schema is None:
        names = list(dict.fromkeys(key for record in records for key in record))
        return _unvalidated([[r.get(name) for name in names] for r in records], names)
    present = set().union(*records) if records else set()
    _check_missing(present, schema)
    values = [[record.get(name) for record in records] for name in schema.names]
    return schema.typed(values)


def _from_columns(
    columns: Mapping[str, Any], schema: _Schema | None, max_rows: int, source: str
) -> pd.DataFrame:
    lists = {
        str(name): value if isinstance(value, list) else [value] for name, value in columns.items()
    }
    lengths = {len(value) for value in lists.values()}
    if len(lengths) > 1:
        sizes = {name: len(value) for name, value in lists.items()}
        raise bad_request(f"{source}: every column needs as many values; got {sizes}")
    count = lengths.pop() if lengths else 0
    _check_count(count, max_rows)
    if schema is None:
        names = list(lists)
        return _unvalidated([list(row) for row in zip(*lists.values(), strict=True)], names)
    _check_missing(set(lists), schema)
    return schema.typed([lists[name] for name in schema.names])


def _column_names(columns: Sequence[Any] | None, width: int, source: str) -> list[str] | None:
    if columns is None:
        return None
    names = [str(name) for name in columns]
    if len(set(names)) != len(names):
        raise bad_request(f"{source}: a column is named twice in {names}")
    if len(names) != width:
        raise bad_request(f"{source}: {len(names)} column names for rows of {width} values")
    return names


def _order(names: list[str], schema: _Schema) -> list[int]:
    """Where each of the signature's columns is among the request's columns."""
    positions = {name: number for number, name in enumerate(names)}
    _check_missing(positions.keys(), schema)
    return [positions[name] for name in schema.names]


def _check_missing(present: Any, schema: _Schema) -> None:
    missing = [name for name in schema.names if name not in present]
    if missing:
        raise invalid(f"missing column(s) {missing}; the model expects {list(schema.names)}")


def _check_count(count: int, max_rows: int) -> None:
    if count > max_rows:
        raise ScoringError(
            413, "RESOURCE_LIMIT_EXCEEDED", f"{count} rows in one request; at most {max_rows}"
        )
    if count == 0:
        raise bad_request("the request has no rows")


def _float_table(rows: list[Any]) -> np.ndarray[Any, Any] | None:
    """The rows as one float64 array (numeric strings and null coerced, as MLflow does), or
    None when a value is not a number."""
    try:
        array = np.array(rows, dtype=np.float64)
    except (ValueError, TypeError, OverflowError):
        return None
    return array if array.ndim == 2 else None


def _unvalidated(rows: list[list[Any]], names: list[str] | None) -> pd.DataFrame:
    """A model without a signature gets the request's table as it is (numbers as numbers)."""
    array = _float_table(rows)
    if array is not None:
        return pd.DataFrame(array, columns=names, copy=False)
    for number, row in enumerate(rows):
        for value in row:
            if isinstance(value, dict | list):
                raise bad_request(f"row {number} holds a nested {kind(value)}")
    return pd.DataFrame(rows, columns=names, dtype=object)


# Signatures ---------------------------------------------------------------------------------


def _schema(signature: Mapping[str, Any] | None) -> _Schema | None:
    """The signature's columns, compiled once per signature object (one per served variant)."""
    if not signature or not signature.get("inputs"):
        return None
    cached = _schemas.get(id(signature))
    if cached is not None and cached[0] is signature:
        return cached[1]
    names = tuple(str(column["name"]) for column in signature["inputs"])
    dtypes = tuple(str(column["dtype"]) for column in signature["inputs"])
    schema = _Schema(
        names,
        dtypes,
        pd.Index(names),
        dtypes[0] if len(set(dtypes)) == 1 and dtypes[0] in NUMERIC_DTYPES else None,
    )
    if len(_schemas) >= _SCHEMA_CACHE_SIZE:
        _schemas.clear()
    _schemas[id(signature)] = (signature, schema)
    return schema
