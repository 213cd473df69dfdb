"""Checks on what users log, with messages that name the problem."""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping
from typing import Any

from studio.errors import InvalidInput, TooLarge

MAX_KEY_LENGTH = 250
MAX_PARAM_VALUE_LENGTH = 6000
MAX_TAG_VALUE_LENGTH = 8000
MAX_NAME_LENGTH = 250
# One batch of logging (a REST request, a child run): larger ones are refused as too large.
MAX_BATCH_METRICS = 10_000
MAX_BATCH_PARAMS = 1_000
MAX_BATCH_TAGS = 1_000
# Run search. Each bound keeps the SQL of one search small whatever its input: the database,
# not the user, would otherwise pick the failure (SQLite 3.40.1 segfaults on a 62-way join,
# refuses 64 tables in a join, 1,000-deep expression trees and deep parser stacks; PostgreSQL
# takes seconds to plan a hundred EXISTS subqueries and binds at most 65,535 parameters).
# A page's runs are read back with one bind parameter per run: below PostgreSQL's 65,535.
MAX_SEARCH_RESULTS = 50_000
# Each param, metric or tag order clause joins one table: 8 keeps a search at 9 tables.
MAX_ORDER_CLAUSES = 8
# 'attributes.`<250-character key>` DESC' with room to spare.
MAX_ORDER_CLAUSE_LENGTH = 300
MAX_SEARCH_EXPERIMENTS = 1_000
# What a search in a URL may hold: tornado refuses a query of more than 1,000 fields and a
# request line past 64 KiB (percent-encoding can triple a text), so the GET form takes less
# than the JSON body of POST /runs/search.
MAX_QUERY_EXPERIMENTS = 100
MAX_QUERY_FILTER_LENGTH = 4_000
MAX_PAGE_TOKEN_LENGTH = 100
# Room for an exact match on the longest tag value (8,000 characters) and more.
MAX_FILTER_LENGTH = 20_000
# An artifact path: deep enough for any real tree, short enough for any URL.
MAX_ARTIFACT_PATH_LENGTH = 1_024
# Comparisons in one filter: SQLite nests `a or b or c ...` one level per term.
MAX_FILTER_TERMS = 100
# Comparisons on metrics, params or tags: each is an EXISTS subquery, and PostgreSQL's planning
# time grows fast with them (64 in one `and` took 0.9 s, 100 took 2.5 s).
MAX_FILTER_KEY_TERMS = 16
# Values bound as SQL parameters, `in (...)` lists included.
MAX_FILTER_VALUES = 1_000
# Parentheses and `not`: SQLite's parser stack overflowed at 42 nested `not`.
MAX_FILTER_NESTING = 20
# A number literal's characters (Python refuses ints of more than 4,300 digits); integers must
# also fit in the 64-bit integers SQL stores.
MAX_NUMBER_LENGTH = 100
# Steps, timestamps and filter integers are BIGINT columns: signed 64-bit integers.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Page sizes of the REST API: a metric's points (and the most that downsampling keeps), and
# experiments.
MAX_HISTORY_POINTS = 100_000
MAX_EXPERIMENT_PAGE = 1000
# A run's series of other kinds (`series_api`): points in one append, all series together,
# series in one append, and series per page of a listing.
MAX_SERIES_APPEND_POINTS = 100_000
MAX_SERIES_APPEND_SERIES = 10_000
MAX_SERIES_PAGE = 10_000
# Series in one read of several (each downsampled; keys x max_points <= MAX_HISTORY_POINTS).
MAX_SERIES_READ_KEYS = 1_000
# A series kind names the package that owns it ("tensor" for the debugger's statistics); it
# fits its column (series.orm.KIND_LENGTH). "metric" is a run's metrics: log_metric's alone.
SERIES_KIND_PATTERN = r"^[a-z][a-z0-9_]{0,15}$"
METRIC_KIND = "metric"
# Experiment ids are a 32-bit INTEGER column (PostgreSQL refuses a larger number outright).
MAX_EXPERIMENT_ID = 2**31 - 1
# Run ids name the run's artifact folder, so they are plain tokens (uuid4().hex by default).
RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$"
_RUN_ID = re.compile(RUN_ID_PATTERN)
# Letters, digits, and the separators people use in metric names: train/loss, val.acc, f1-score.
_KEY_PATTERN = re.compile(r"^[\w\-. /:]+$")
# A series key of another kind may end with an element index: the debugger stores element i
# of a tensor's vector summary (a histogram bin, a unit's activity) as "<name>[<i>]".
_ELEMENT_KEY_PATTERN = re.compile(r"^[\w\-. /:]+(\[\d{1,9}\])?$")


def validate_key(key: Any, kind: str, *, element: bool = False) -> str:
    """A param, tag or metric key: non-empty text of at most 250 safe characters; with
    `element`, a series key that may end with an element index ("active[17]")."""
    if not isinstance(key, str):
        raise InvalidInput(f"A {kind} key must be a string, not {type(key).__name__} ({key!r}).")
    if not key or not key.strip():
        raise InvalidInput(f"A {kind} key must not be empty.")
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidInput(
            f"The {kind} key {key[:40]!r}... is {len(key)} characters long; "
            f"the limit is {MAX_KEY_LENGTH}."
        )
    if not (_ELEMENT_KEY_PATTERN if element else _KEY_PATTERN).match(key):
        raise InvalidInput(
            f"The {kind} key {key!r} may only contain letters, digits, underscores, dashes, "
            "periods, spaces, slashes and colons"
            + (", and end with an index such as [17]." if element else ".")
        )
    if key.startswith("/") or ".." in key.split("/"):
        raise InvalidInput(f"The {kind} key {key!r} must not start with '/' or contain '..'.")
    return key


def metric_value(value: Any, key: str) -> float:
    """A metric value as a float; NaN and ±Inf are kept as such."""
    if type(value) is float:
        return value
    # Anything float() accepts except text: numpy scalars, 0-d arrays, torch scalar tensors.
    if isinstance(value, str | bytes) or not hasattr(value, "__float__"):
        raise InvalidInput(
            f"The value of metric {key!r} must be a number, not {type(value).__name__} ({value!r})."
        )
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InvalidInput(f"The value of metric {key!r} is not a number: {exc}") from exc


def metric_step(step: Any, key: str) -> int:
    """A step as a signed 64-bit integer (numpy integers too)."""
    return _int64(step, key, "step")


def metric_timestamp(stamp: Any, key: str) -> int:
    """A timestamp (epoch milliseconds) as a signed 64-bit integer."""
    return _int64(stamp, key, "timestamp")


def _int64(number: Any, key: str, what: str) -> int:
    if isinstance(number, bool) or not isinstance(number, numbers.Integral):
        raise InvalidInput(
            f"The {what} of metric {key!r} must be an integer, "
            f"not {type(number).__name__} ({number!r})."
        )
    value = int(number)
    if not INT64_MIN <= value <= INT64_MAX:
        raise InvalidInput(
            f"The {what} of metric {key!r} is {value}, outside a signed 64-bit integer "
            f"({INT64_MIN} to {INT64_MAX})."
        )
    return value


def stringify(value: Any, key: str, kind: str, limit: int) -> str:
    """Params and tags are stored as text, as in MLflow; floats keep their repr."""
    if value is None:
        text = "None"
    elif isinstance(value, float) and not math.isfinite(value):
        text = repr(value)
    else:
        text = str(value)
    if len(text) > limit:
        raise InvalidInput(
            f"The value of {kind} {key!r} is {len(text)} characters long; the limit is {limit}."
        )
    if "\x00" in text:
        raise InvalidInput(
            f"The value of {kind} {key!r} holds a NUL character, which no store keeps."
        )
    return text


def params_to_text(params: Mapping[str, Any] | None) -> dict[str, str]:
    return {
        validate_key(key, "param"): stringify(value, key, "param", MAX_PARAM_VALUE_LENGTH)
        for key, value in (params or {}).items()
    }


def tags_to_text(tags: Mapping[str, Any] | None) -> dict[str, str]:
    return {
        validate_key(key, "tag"): stringify(value, key, "tag", MAX_TAG_VALUE_LENGTH)
        for key, value in (tags or {}).items()
    }


def validate_name(name: Any, kind: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput(f"The {kind} name must be a non-empty string, not {name!r}.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"The {kind} name is limited to {MAX_NAME_LENGTH} characters.")
    if "\x00" in name:
        raise InvalidInput(f"The {kind} name holds a NUL character, which no store keeps.")
    return name.strip()


def is_run_id(value: str) -> bool:
    """Whether a run could have this id (every id Studio makes or accepts matches)."""
    return _RUN_ID.match(value) is not None


def validate_run_id(run_id: Any) -> str:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise InvalidInput(
            f"Invalid run id {run_id!r}: use 1 to 32 letters, digits, '-' or '_', "
            "starting with a letter or digit."
        )
    return run_id


def check_batch_size(metrics: int, params: int, tags: int) -> None:
    """Refuse a batch over the limits, before anything of it is written."""
    for label, size, limit in (
        ("metric points", metrics, MAX_BATCH_METRICS),
        ("params", params, MAX_BATCH_PARAMS),
        ("tags", tags, MAX_BATCH_TAGS),
    ):
        if size > limit:
            raise TooLarge(f"A batch holds at most {limit} {label}; this one has {size}.")


# A logging batch's client-made id (uuid4().hex, with a chunk suffix): the server applies an
# id at most once, so a retry of a batch that was stored but not answered stores nothing.
MAX_BATCH_ID_LENGTH = 64
BATCH_ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_BATCH_ID = re.compile(BATCH_ID_PATTERN)


def validate_batch_id(batch_id: Any) -> str:
    if not isinstance(batch_id, str) or not _BATCH_ID.match(batch_id):
        raise InvalidInput(
            f"Invalid batch id {batch_id!r}: use 1 to {MAX_BATCH_ID_LENGTH} letters, digits, "
            "'-' or '_'."
        )
    return batch_id
