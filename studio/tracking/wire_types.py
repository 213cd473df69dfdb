"""Field types of tracking's wire models: metric values that may be NaN or infinite, 64-bit
integers, ids, names, and the bounded texts of a search. Each carries its limit, so that the
OpenAPI document declares it.

JSON cannot hold NaN or ±Infinity, yet metric values may be either; on the wire they are the
strings "NaN", "Infinity" and "-Infinity", in both directions.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BeforeValidator, Field, WithJsonSchema

from studio.tracking.validation import (
    INT64_MAX,
    INT64_MIN,
    MAX_EXPERIMENT_ID,
    MAX_FILTER_LENGTH,
    MAX_NAME_LENGTH,
    MAX_ORDER_CLAUSE_LENGTH,
    MAX_PAGE_TOKEN_LENGTH,
    MAX_QUERY_FILTER_LENGTH,
    MAX_SEARCH_RESULTS,
    RUN_ID_PATTERN,
)

SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_FLOAT_SCHEMA = WithJsonSchema(
    {
        "anyOf": [
            {"type": "number"},
            {"type": "string", "enum": list(SPECIAL_FLOATS)},
        ],
        "description": 'A number, or "NaN", "Infinity" or "-Infinity".',
    }
)


def _special_float(value: object) -> object:
    if isinstance(value, str) and value in SPECIAL_FLOATS:
        return SPECIAL_FLOATS[value]
    return value


def split_commas(value: object) -> object:
    """A repeatable query parameter may also be given as one comma-separated list."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return value
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def split_ids(value: object) -> object:
    """Like `_split_commas`, but an empty part stays, so that `experiment_id=` (or `1,,2`) is
    refused as not an integer instead of quietly meaning "every experiment"."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        return value
    return [part.strip() for item in items for part in str(item).split(",")]


# A metric value as the API reads it: a JSON number or one of the three strings, never a bool.
FloatIn = Annotated[float, BeforeValidator(_special_float), _FLOAT_SCHEMA]
# A metric value as the API writes it (pydantic's lax float parses the three strings itself).
FloatOut = Annotated[float, _FLOAT_SCHEMA]
# Params and tags are stored as text; JSON scalars are accepted and turned into text.
ScalarIn = str | int | float | bool | None
# SQL integers are 64-bit: a larger number is bad input, not a database error.
Int64 = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
Timestamp = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX, description="Epoch milliseconds.")]
ExperimentId = Annotated[int, Field(ge=1, le=MAX_EXPERIMENT_ID)]
# A run's start and end as a client sets them: not before 1970, so that a duration (end minus
# start) always fits in 64 bits (an end at INT64_MAX after a start at INT64_MIN made
# duration_ms 2**64 - 1).
RunTime = Annotated[int, Field(ge=0, le=INT64_MAX, description="Epoch milliseconds.")]
# Client-chosen run ids become part of artifact paths: letters, digits, '-' and '_' only.
RunId = Annotated[str, Field(pattern=RUN_ID_PATTERN)]
# Experiment and run names fit their VARCHAR column (PostgreSQL refuses a longer one).
Name = Annotated[str, Field(max_length=MAX_NAME_LENGTH)]

# Searches.
Filter = Annotated[str, Field(max_length=MAX_FILTER_LENGTH)]
QueryFilter = Annotated[str, Field(max_length=MAX_QUERY_FILTER_LENGTH)]
OrderClause = Annotated[str, Field(max_length=MAX_ORDER_CLAUSE_LENGTH)]
MaxResults = Annotated[
    int,
    Field(ge=1, le=MAX_SEARCH_RESULTS, description="At most this many runs per page."),
]
PageToken = Annotated[str, Field(max_length=MAX_PAGE_TOKEN_LENGTH)]
