"""Every limit of run search and metric history, at the store and the service: the largest
input within a limit runs on the database (SQLite, and PostgreSQL where STUDIO_TEST_DB_URL
names one), and an input past it is refused with InvalidInput naming the limit before any SQL
reaches the database. Without these limits each input below was a 500, and 62 or 63 order
clauses segfaulted SQLite 3.40.1 (the whole Jupyter server with it).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import event

from studio.errors import InvalidInput
from studio.tracking.entities import RunStatus
from studio.tracking.validation import (
    INT64_MAX,
    INT64_MIN,
    MAX_FILTER_KEY_TERMS,
    MAX_FILTER_LENGTH,
    MAX_FILTER_NESTING,
    MAX_FILTER_TERMS,
    MAX_FILTER_VALUES,
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_ORDER_CLAUSES,
    MAX_PAGE_TOKEN_LENGTH,
    MAX_SEARCH_EXPERIMENTS,
)

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService
    from studio.tracking.store import TrackingStore

KEYS = 20  # params, metrics and tags p0.., m0.., t0.. of the one run


@pytest.fixture
def experiment_id(store: TrackingStore) -> int:
    experiment = store.create_experiment("limits")
    store.create_run(
        experiment.id,
        name="only",
        status=RunStatus.FINISHED,
        start_time=1_000,
        end_time=2_000,
        params={f"p{i}": str(i) for i in range(KEYS)},
        tags={f"t{i}": str(i) for i in range(KEYS)},
        metrics=[(f"m{i}", float(i), 0, 0) for i in range(KEYS)],
    )
    return experiment.id


@contextmanager
def refused(store: TrackingStore, *fragments: str) -> Iterator[None]:
    """InvalidInput naming every fragment, and not one statement sent to the database."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(store.db.engine, "before_cursor_execute", record)
    try:
        with pytest.raises(InvalidInput) as caught:
            yield
    finally:
        event.remove(store.db.engine, "before_cursor_execute", record)
    for fragment in fragments:
        assert fragment in caught.value.message, caught.value.message
    assert statements == []


def found(store: TrackingStore, filter: str | None = None, **kwargs: Any) -> list[str]:
    return [run.name for run in store.search_runs(filter=filter, **kwargs).runs]


# Order clauses ---------------------------------------------------------------------------------


def test_order_clauses_up_to_the_limit_run(store: TrackingStore, experiment_id: int) -> None:
    kinds = ("params.p", "metrics.m", "tags.t")
    order_by = [f"{kinds[i % 3]}{i} DESC" for i in range(MAX_ORDER_CLAUSES)]
    assert found(store, order_by=order_by) == ["only"]


def test_more_order_clauses_are_refused(store: TrackingStore, experiment_id: int) -> None:
    # 62 and 63 segfaulted SQLite 3.40.1; 64 to 199 were "at most 64 tables in a join".
    for count in (MAX_ORDER_CLAUSES + 1, 62, 63, 64, 199):
        for kind in ("params.p", "metrics.m"):
            with refused(store, f"at most {MAX_ORDER_CLAUSES} order clauses", str(count)):
                store.search_runs(order_by=[f"{kind}{i % KEYS}" for i in range(count)])


# Filter size -------------------------------------------------------------------------------------


def test_key_comparisons_up_to_the_limit_run(store: TrackingStore, experiment_id: int) -> None:
    kinds = ("metrics.m{} >= 0", "params.p{} != 'x'", "tags.t{} like '%'")
    terms = [kinds[i % 3].format(i % KEYS) for i in range(MAX_FILTER_KEY_TERMS)]
    assert found(store, " and ".join(terms)) == ["only"]
    assert found(store, "not (" + " or ".join(terms) + ")") == []


def test_more_key_comparisons_are_refused(store: TrackingStore, experiment_id: int) -> None:
    # Each comparison on a metric, param or tag is a subquery, the same key or not.
    for keys in (1, MAX_FILTER_KEY_TERMS + 1):
        terms = [f"metrics.m{i % keys} > 0" for i in range(MAX_FILTER_KEY_TERMS + 1)]
        with refused(store, f"at most {MAX_FILTER_KEY_TERMS} comparisons on metrics"):
            store.search_runs(filter=" and ".join(terms))


def test_comparisons_up_to_the_limit_run(store: TrackingStore, experiment_id: int) -> None:
    terms = [f"start_time = {i}" for i in range(MAX_FILTER_TERMS - 1)] + ["name = 'only'"]
    assert found(store, " or ".join(terms)) == ["only"]
    assert found(store, " and ".join(f"start_time > {-i}" for i in range(MAX_FILTER_TERMS))) == [
        "only"
    ]


def test_more_comparisons_are_refused(store: TrackingStore, experiment_id: int) -> None:
    # About a thousand was SQLite's "Expression tree is too large (maximum depth 1000)".
    for count in (MAX_FILTER_TERMS + 1, 1_000, 1_600):
        with refused(store, f"at most {MAX_FILTER_TERMS} comparisons"):
            store.search_runs(filter=" or ".join(["id = 'x'"] * count))


def test_values_up_to_the_limit_run(store: TrackingStore, experiment_id: int) -> None:
    values = ", ".join(str(i) for i in range(MAX_FILTER_VALUES))
    assert found(store, f"metrics.m3 in ({values})") == ["only"]
    with refused(store, f"at most {MAX_FILTER_VALUES} values"):
        store.search_runs(filter=f"metrics.m3 in ({values}, 1)")


def test_a_longer_filter_is_refused(store: TrackingStore, experiment_id: int) -> None:
    text = "name = '" + "x" * MAX_FILTER_LENGTH + "'"
    with refused(store, f"the limit is {MAX_FILTER_LENGTH}"):
        store.search_runs(filter=text)


def test_a_longer_key_is_refused(store: TrackingStore, experiment_id: int) -> None:
    assert found(store, f"params.`{'k' * MAX_KEY_LENGTH}` = '1'") == []
    with refused(store, f"at most {MAX_KEY_LENGTH} characters"):
        store.search_runs(filter=f"params.`{'k' * (MAX_KEY_LENGTH + 1)}` = '1'")
    with refused(store, f"at most {MAX_KEY_LENGTH} characters"):
        store.search_runs(order_by=[f"metrics.`{'k' * (MAX_KEY_LENGTH + 1)}`"])


# Nesting ---------------------------------------------------------------------------------------


def alternating(depth: int) -> str:
    """`depth` levels of parentheses, each switching between `and` and `or`."""
    text = "metrics.m1 > 0"
    for level in range(depth):
        text = f"(status = 'FINISHED' {'and' if level % 2 else 'or'} {text})"
    return text


def test_nesting_up_to_the_limit_runs(store: TrackingStore, experiment_id: int) -> None:
    half = MAX_FILTER_NESTING // 2
    assert found(store, "not " * MAX_FILTER_NESTING + "metrics.m1 > 0") == ["only"]
    assert found(store, "not (" * half + "params.p1 = '1'" + ")" * half) == ["only"]
    assert found(store, alternating(MAX_FILTER_NESTING)) == ["only"]


def test_deeper_nesting_is_refused(store: TrackingStore, experiment_id: int) -> None:
    # 42 to 50 nested `not` overflowed SQLite's parser stack.
    for depth in (MAX_FILTER_NESTING + 1, 42, 45, 50):
        with refused(store, f"nested at most {MAX_FILTER_NESTING} deep"):
            store.search_runs(filter="not " * depth + "metrics.m1 > 0")
        with refused(store, f"nested at most {MAX_FILTER_NESTING} deep"):
            store.search_runs(filter=alternating(depth))


# Numbers ---------------------------------------------------------------------------------------

NUMERIC_NAMES = ["metrics.m5", "start_time", "end_time", "experiment_id", "duration"]


def test_64_bit_integers_run(store: TrackingStore, experiment_id: int) -> None:
    for name in NUMERIC_NAMES:
        assert found(store, f"{name} < {INT64_MAX} and {name} > {INT64_MIN}") == ["only"]
        assert found(store, f"{name} in ({INT64_MIN}, {INT64_MAX}) or {name} = 1e300") == []


def test_integers_past_64_bits_are_refused(store: TrackingStore, experiment_id: int) -> None:
    templates = ("{} > {}", "{} = {}", "{} in (1, {})", "{} not in ({})")
    for name in NUMERIC_NAMES:
        for template in templates:
            for big in (INT64_MAX + 1, INT64_MIN - 1, 10**19, -(10**40)):
                with refused(store, "must fit in 64 bits", str(INT64_MAX)):
                    store.search_runs(filter=template.format(name, big))


def test_longer_number_literals_are_refused(store: TrackingStore, experiment_id: int) -> None:
    # Python refuses to turn more than 4,300 digits into an int: that was a 500.
    for digits in (MAX_NUMBER_LENGTH + 1, 4_301, 5_000):
        for number in ("9" * digits, "0." + "1" * digits, "1" * digits + "e3"):
            with refused(store, f"at most {MAX_NUMBER_LENGTH} characters"):
                store.search_runs(filter=f"metrics.m5 > {number}")
    exact = "0.1000000000000000055511151231257827021181583404541015625"  # repr of 0.1, exactly
    assert found(store, f"metrics.m1 > {exact}") == ["only"]


# Other search inputs -----------------------------------------------------------------------------


def test_experiments_and_page_token_are_bounded(store: TrackingStore, experiment_id: int) -> None:
    assert found(store, experiment_ids=[experiment_id] * MAX_SEARCH_EXPERIMENTS) == ["only"]
    assert found(store, experiment_ids=[INT64_MIN, INT64_MAX]) == []
    assert store.count_runs(INT64_MAX, "metrics.m1 > 0") == 0
    with refused(store, f"at most {MAX_SEARCH_EXPERIMENTS} experiments"):
        store.search_runs([experiment_id] * (MAX_SEARCH_EXPERIMENTS + 1))
    with refused(store, f"longer than {MAX_PAGE_TOKEN_LENGTH}"):
        store.search_runs(page_token="e" * (MAX_PAGE_TOKEN_LENGTH + 1))


# Names -----------------------------------------------------------------------------------------


def test_run_and_experiment_names_are_bounded(
    store: TrackingStore, service: TrackingService, experiment_id: int
) -> None:
    # A 400-character name was PostgreSQL's "value too long for type character varying(250)".
    longest = "n" * MAX_NAME_LENGTH
    assert service.create_run(experiment_id, name=longest).name == longest
    assert service.create_experiment(longest).name == longest
    for create in (
        lambda name: service.create_run(experiment_id, name=name),
        lambda name: store.create_run(experiment_id, name=name),
        lambda name: service.get_or_create_experiment(name),
    ):
        with pytest.raises(InvalidInput, match=f"limited to {MAX_NAME_LENGTH} characters"):
            create("n" * 400)
    assert found(store, "name = 'only'") == ["only"]


# Metric history ------------------------------------------------------------------------------


@pytest.mark.parametrize(("count", "max_points"), [(3_000, 2_500), (70_000, 66_000)])
def test_downsampled_history_binds_few_parameters(
    store: TrackingStore, experiment_id: int, count: int, max_points: int
) -> None:
    # One bind parameter per kept step passed PostgreSQL's 65,535 at 66,000 points.
    run = store.create_run(experiment_id)
    values = [math.sin(i / 40) for i in range(count)]
    # Every 7th step is logged twice: each point keeps its own timestamp.
    points = [("loss", value, i - i % 7 // 6, 10 * i) for i, value in enumerate(values)]
    for start in range(0, count, 10_000):
        store.log_batch(run.id, metrics=points[start : start + 10_000])
    history = store.get_metric_history(run.id, "loss", max_points)
    assert (history.total, history.downsampled) == (count, True)
    assert 0 < len(history.steps) <= max_points
    by_stamp = {stamp: (step, value) for _key, value, step, stamp in points}
    assert [by_stamp[stamp] for stamp in history.timestamps] == list(
        zip(history.steps, history.values, strict=True)
    )
    assert history.steps == sorted(history.steps)
