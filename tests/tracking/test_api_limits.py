"""The limits of run search, names and metric history through HTTP: each input below was a 500
(or, with 62 or 63 order clauses, a segfault that took the whole Jupyter server down); now each
is a 4xx in the JSON envelope whose message names the limit, the server stays up, and the
OpenAPI document declares the limit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from studio.tracking.validation import (
    INT64_MAX,
    MAX_FILTER_KEY_TERMS,
    MAX_FILTER_LENGTH,
    MAX_FILTER_NESTING,
    MAX_FILTER_TERMS,
    MAX_FILTER_VALUES,
    MAX_KEY_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NUMBER_LENGTH,
    MAX_ORDER_CLAUSE_LENGTH,
    MAX_ORDER_CLAUSES,
    MAX_PAGE_TOKEN_LENGTH,
    MAX_QUERY_EXPERIMENTS,
    MAX_QUERY_FILTER_LENGTH,
    MAX_SEARCH_EXPERIMENTS,
)

if TYPE_CHECKING:
    from studio.tracking.service import TrackingService
    from tests.conftest import Answer, StudioCreate, StudioFetch


async def both_ways(studio_fetch: StudioFetch, **search: Any) -> list[Answer]:
    """The same search by GET /runs (lists comma-separated) and by POST /runs/search."""
    query = {
        key: ",".join(value) if isinstance(value, list) else value for key, value in search.items()
    }
    return [
        await studio_fetch("GET", "runs", params=query),
        await studio_fetch("POST", "runs/search", body=search),
    ]


async def assert_alive(studio_fetch: StudioFetch, create: StudioCreate) -> None:
    run = await create("runs", {"experiment_name": "alive", "params": {"p": "1"}})
    answer = await studio_fetch(
        "POST", "runs/search", body={"filter": "params.p = '1'", "order_by": ["params.p"]}
    )
    assert answer.code == 200
    assert [found["id"] for found in answer.json["runs"]] == [run["id"]]


async def test_order_clauses_are_bounded(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    # 62 and 63 segfaulted SQLite 3.40.1 (the server died); 64 to 199 were a 500.
    for count in (MAX_ORDER_CLAUSES + 1, 62, 63, 64, 199):
        for kind in ("params.p", "metrics.m"):
            clauses = [f"{kind}{i}" for i in range(count)]
            for answer in await both_ways(studio_fetch, order_by=clauses):
                answer.error(422, "order_by", f"at most {MAX_ORDER_CLAUSES} items")
    long_clause = "params." + "p" * MAX_ORDER_CLAUSE_LENGTH
    for answer in await both_ways(studio_fetch, order_by=[long_clause]):
        answer.error(422, "order_by", f"at most {MAX_ORDER_CLAUSE_LENGTH} characters")
    allowed = [f"params.p{i} DESC" for i in range(MAX_ORDER_CLAUSES)]
    for answer in await both_ways(studio_fetch, order_by=allowed):
        assert answer.code == 200
    await assert_alive(studio_fetch, studio_create)


async def test_integers_past_64_bits_are_refused(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    for name in ("metrics.m", "start_time", "end_time", "experiment_id", "duration"):
        for text in (f"{name} > {INT64_MAX + 1}", f"{name} in (1, {10**30})"):
            for answer in await both_ways(studio_fetch, filter=text):
                answer.error(400, "must fit in 64 bits", str(INT64_MAX))
        for answer in await both_ways(studio_fetch, filter=f"{name} < {INT64_MAX}"):
            assert answer.code == 200
    await assert_alive(studio_fetch, studio_create)


async def test_long_number_literals_are_refused(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    # More than 4,300 digits: Python's int() refused them, and that was a 500.
    for number in ("9" * 5_000, "1." + "1" * 5_000):
        body = {"filter": f"metrics.m > {number}"}
        (await studio_fetch("POST", "runs/search", body=body)).error(
            400, f"at most {MAX_NUMBER_LENGTH} characters"
        )
        # Too long for a URL's filter before the number is even read.
        (await studio_fetch("GET", "runs", params=body)).error(422, "filter")
    too_long = "9" * (MAX_NUMBER_LENGTH + 1)
    for answer in await both_ways(studio_fetch, filter=f"metrics.m > {too_long}"):
        answer.error(400, f"at most {MAX_NUMBER_LENGTH} characters")
    await assert_alive(studio_fetch, studio_create)


async def test_filter_size_is_bounded(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    # About a thousand terms: SQLite's "Expression tree is too large".
    many = " or ".join(["id = 'x'"] * 1_000)
    (await studio_fetch("POST", "runs/search", body={"filter": many})).error(
        400, f"at most {MAX_FILTER_TERMS} comparisons"
    )
    subqueries = " and ".join(f"metrics.m{i} > 0" for i in range(MAX_FILTER_KEY_TERMS + 1))
    for answer in await both_ways(studio_fetch, filter=subqueries):
        answer.error(400, f"at most {MAX_FILTER_KEY_TERMS} comparisons on metrics")
    values = ", ".join(["1"] * (MAX_FILTER_VALUES + 1))
    (await studio_fetch("POST", "runs/search", body={"filter": f"metrics.m in ({values})"})).error(
        400, f"at most {MAX_FILTER_VALUES} values"
    )
    longest = "params.`" + "k" * (MAX_KEY_LENGTH + 1) + "` = '1'"
    (await studio_fetch("POST", "runs/search", body={"filter": longest})).error(
        400, f"at most {MAX_KEY_LENGTH} characters"
    )
    too_long = "name = '" + "x" * MAX_FILTER_LENGTH + "'"
    (await studio_fetch("POST", "runs/search", body={"filter": too_long})).error(
        422, "filter", f"at most {MAX_FILTER_LENGTH} characters"
    )
    await assert_alive(studio_fetch, studio_create)


async def test_nesting_is_bounded(studio_fetch: StudioFetch, studio_create: StudioCreate) -> None:
    # 42 to 50 nested `not` overflowed SQLite's parser stack: a 500.
    for depth in (MAX_FILTER_NESTING + 1, 42, 45, 50):
        for answer in await both_ways(studio_fetch, filter="not " * depth + "metrics.m > 1"):
            answer.error(400, f"nested at most {MAX_FILTER_NESTING} deep")
    deepest = "not " * MAX_FILTER_NESTING + "metrics.m > 1"
    for answer in await both_ways(studio_fetch, filter=deepest):
        assert answer.code == 200
    await assert_alive(studio_fetch, studio_create)


async def test_other_search_inputs_are_bounded(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    ids = [1] * (MAX_SEARCH_EXPERIMENTS + 1)
    (await studio_fetch("POST", "runs/search", body={"experiment_ids": ids})).error(
        422, "experiment_ids", f"at most {MAX_SEARCH_EXPERIMENTS} items"
    )
    # A URL holds less: tornado refuses a query of over 1,000 fields with no JSON answer.
    in_url = ",".join(["1"] * (MAX_QUERY_EXPERIMENTS + 1))
    (await studio_fetch("GET", "runs", params={"experiment_id": in_url})).error(
        422, "experiment_id", f"at most {MAX_QUERY_EXPERIMENTS} items"
    )
    long_filter = "name = '" + "x" * MAX_QUERY_FILTER_LENGTH + "'"
    (await studio_fetch("GET", "runs", params={"filter": long_filter})).error(
        422, "filter", f"at most {MAX_QUERY_FILTER_LENGTH} characters"
    )
    for answer in await both_ways(studio_fetch, page_token="e" * (MAX_PAGE_TOKEN_LENGTH + 1)):
        answer.error(422, "page_token", f"at most {MAX_PAGE_TOKEN_LENGTH} characters")
    for answer in await both_ways(studio_fetch, parent_run_id="../" + "x" * 400):
        answer.error(422, "parent_run_id", "pattern")
    for answer in await both_ways(studio_fetch, max_results=10**9):
        answer.error(422, "max_results", "less than or equal to 50000")
    await assert_alive(studio_fetch, studio_create)


async def test_names_are_bounded_at_create_as_at_update(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    # A 400-character run name was PostgreSQL's "value too long for character varying(250)".
    long_name, limit = "n" * 400, f"at most {MAX_NAME_LENGTH} characters"
    (await studio_fetch("POST", "runs", body={"name": long_name})).error(422, "name", limit)
    (await studio_fetch("POST", "runs", body={"experiment_name": long_name})).error(
        422, "experiment_name", limit
    )
    (await studio_fetch("POST", "experiments", body={"name": long_name})).error(422, "name", limit)
    run = await studio_create("runs", {"name": "n" * MAX_NAME_LENGTH})
    assert run["name"] == "n" * MAX_NAME_LENGTH
    (await studio_fetch("PATCH", f"runs/{run['id']}", body={"name": long_name})).error(
        422, "name", limit
    )
    experiment = await studio_create("experiments", {"name": "n" * MAX_NAME_LENGTH})
    (
        await studio_fetch("PATCH", f"experiments/{experiment['id']}", body={"name": long_name})
    ).error(422, "name", limit)
    (await studio_fetch("GET", "experiments", params={"name": long_name})).error(422, "name", limit)
    await assert_alive(studio_fetch, studio_create)


async def test_downsampled_history_past_65535_points(
    studio_fetch: StudioFetch, studio_create: StudioCreate, studio_tracking: TrackingService
) -> None:
    # One bind parameter per kept step: past PostgreSQL's 65,535 that was a 500.
    run = await studio_create("runs", {})
    count, max_points = 70_000, 66_000
    points = [("loss", math.sin(i / 30), i, 5 * i) for i in range(count)]
    for start in range(0, count, 10_000):
        studio_tracking.log_batch(run["id"], metrics=points[start : start + 10_000])
    answer = await studio_fetch(
        "GET",
        f"runs/{run['id']}/metrics/history",
        params={"key": "loss", "max_points": max_points},
    )
    assert answer.code == 200
    history = answer.json
    assert (history["total"], history["downsampled"]) == (count, True)
    assert 0 < len(history["steps"]) <= max_points
    assert history["timestamps"] == [5 * step for step in history["steps"]]
    key = "k" * (MAX_KEY_LENGTH + 1)
    (await studio_fetch("GET", f"runs/{run['id']}/metrics/history", params={"key": key})).error(
        422, "key", f"at most {MAX_KEY_LENGTH} characters"
    )
    await assert_alive(studio_fetch, studio_create)


async def test_the_document_declares_the_limits(studio_fetch: StudioFetch) -> None:
    answer = await studio_fetch("GET", "openapi.json")
    schemas = answer.json["components"]["schemas"]
    search = schemas["RunSearchIn"]["properties"]
    assert search["order_by"]["maxItems"] == MAX_ORDER_CLAUSES
    assert search["order_by"]["items"]["maxLength"] == MAX_ORDER_CLAUSE_LENGTH
    assert search["experiment_ids"]["anyOf"][0]["maxItems"] == MAX_SEARCH_EXPERIMENTS
    assert search["page_token"]["anyOf"][0]["maxLength"] == MAX_PAGE_TOKEN_LENGTH
    assert search["max_results"]["maximum"] == 50_000
    text_filter = search["filter"]["anyOf"][0]
    assert text_filter["maxLength"] == MAX_FILTER_LENGTH
    for number in (MAX_FILTER_TERMS, MAX_FILTER_KEY_TERMS, MAX_FILTER_VALUES, MAX_FILTER_NESTING):
        assert f" {number} " in search["filter"]["description"]
    runs_query = answer.json["paths"]["/studio/api/runs"]["get"]["parameters"]
    order_by = next(p for p in runs_query if p["name"] == "order_by")
    assert order_by["schema"]["maxItems"] == MAX_ORDER_CLAUSES
    for model in ("RunCreateIn", "RunUpdateIn", "ExperimentCreateIn", "ExperimentUpdateIn"):
        name = schemas[model]["properties"]["name"]
        declared = name.get("anyOf", [name])[0]
        assert declared["maxLength"] == MAX_NAME_LENGTH, model


async def test_nul_characters_are_refused_alike_on_every_database(
    studio_fetch: StudioFetch, studio_create: StudioCreate
) -> None:
    # PostgreSQL refuses a NUL in text outright (a 500 before); SQLite would have kept it.
    run = await studio_create("runs", {"experiment_name": "nul"})
    for body in ({"params": {"p": "a\x00b"}}, {"tags": {"t": "\x00"}}):
        (await studio_fetch("POST", f"runs/{run['id']}/batch", body=body)).error(400, "NUL")
    (await studio_fetch("POST", "runs", body={"name": "a\x00b"})).error(400, "NUL")
    for path in ("runs/a%00b", "runs/a%00b/metrics/history", "runs/a%00b/artifacts"):
        (await studio_fetch("GET", path, params={"key": "m"})).error(404, "No run has id")
    stored = (await studio_fetch("GET", f"runs/{run['id']}")).json
    assert stored["params"] == {}
    assert stored["tags"] == {}
