"""The serving app in-process (its lifespan run as uvicorn runs it): the split, target
variants, shadows that fail, micro-batching, live configuration, bad input, tokens and
feedback, with real registered models and the real recorder writing to the store."""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pytest
from scipy.stats import chisquare

from studio.config import StudioConfig
from studio.db.engine import Database
from studio.serving.settings import ServeSettings
from studio.serving.store_stats import endpoint_metrics
from tests.databases import fresh_database
from tests.serving.deployments import (
    body,
    captured_request_ids,
    deploy,
    frame,
    models,
    register_approved,
    register_models,
    serving,
)

if TYPE_CHECKING:
    import httpx

TOKEN = "serving-token-0123456789"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, StudioConfig]]:
    folder = tmp_path_factory.mktemp("serving")
    with fresh_database(str(folder / "studio.db"), migrated=True) as url:
        config = StudioConfig(home=folder / "home", db_url=url, artifact_root=str(folder / "art"))
        database = Database(url)
        uris = register_models(database, config)
        deploy(database, config, "ab", uris, {"A": 3.0, "B": 1.0})
        deploy(database, config, "locked", uris, {"A": 1.0}, shadow=False, token=TOKEN)
        yield database, config
        database.dispose()


def _settings(config: StudioConfig, endpoint: str = "ab", **kwargs: object) -> ServeSettings:
    return ServeSettings(endpoint=endpoint, studio=config, poll_interval=0.1, **kwargs)  # type: ignore[arg-type]


def _totals(database: Database, endpoint: str, since_s: int) -> dict[str, dict[str, float]]:
    from studio.serving.service import EndpointService

    endpoint_id = EndpointService.from_database(
        database, StudioConfig.resolve(db_url=database.url)
    ).endpoint_id(endpoint)
    totals: dict[str, dict[str, float]] = endpoint_metrics(database, endpoint_id, since_s=since_s)[
        "totals"
    ]
    return totals


def test_the_split_follows_the_weights_and_every_answer_is_recorded(
    store: tuple[Database, StudioConfig],
) -> None:
    database, config = store
    since = int(time.time()) - 1
    payload = body(frame(1, seed=1))
    count = 1000

    async def scenario() -> list[httpx.Response]:
        async with serving(_settings(config)) as (client, _):
            semaphore = asyncio.Semaphore(32)

            async def one() -> httpx.Response:
                async with semaphore:
                    return await client.post("/invocations", json=payload)

            return await asyncio.gather(*(one() for _ in range(count)))

    answers = asyncio.run(scenario())
    assert {answer.status_code for answer in answers} == {200}
    split = collections.Counter(answer.headers["x-variant"] for answer in answers)
    assert chisquare([split["A"], split["B"]], [count * 0.75, count * 0.25]).pvalue > 0.001
    ids = [answer.headers["x-request-id"] for answer in answers]
    assert len(set(ids)) == count
    # The lifespan's shutdown flushed the recorder: counters and capture hold every answer.
    totals = _totals(database, "ab", since)
    assert (totals["A"]["invocations"], totals["B"]["invocations"]) == (split["A"], split["B"])
    assert set(ids) <= set(captured_request_ids(config.artifact_root, "ab"))


def test_a_variant_is_chosen_by_name_and_an_unknown_one_is_a_400_naming_them(
    store: tuple[Database, StudioConfig],
) -> None:
    _, config = store
    rows = frame(4, seed=2)

    async def scenario() -> tuple[list[httpx.Response], httpx.Response]:
        async with serving(_settings(config)) as (client, _):
            chosen = [
                await client.post(
                    "/invocations", json=body(rows), headers={"X-Target-Variant": "B"}
                )
                for _ in range(20)
            ]
            unknown = await client.post(
                "/invocations", json=body(rows), headers={"X-Target-Variant": "Q"}
            )
            return chosen, unknown

    chosen, unknown = asyncio.run(scenario())
    assert {answer.headers["x-variant"] for answer in chosen} == {"B"}
    np.testing.assert_allclose(chosen[0].json()["predictions"], models()["B"].predict(rows))
    assert unknown.status_code == 400
    assert unknown.json()["error_code"] == "UNKNOWN_VARIANT"
    assert "A, B, S" in unknown.json()["message"]


def test_a_failing_shadow_changes_no_answer(store: tuple[Database, StudioConfig]) -> None:
    database, config = store
    since = int(time.time()) - 1
    before = _totals(database, "ab", since).get("S", {}).get("invocations", 0)
    # Every third request holds a negative value: the Box-Cox shadow fails on those.
    requests = [frame(2, seed=10 + i) for i in range(60)]
    for rows in requests[::3]:
        rows.iloc[0, 0] = -1.0

    async def scenario() -> tuple[list[httpx.Response], dict[str, int]]:
        async with serving(_settings(config)) as (client, state):
            answers = await asyncio.gather(
                *(
                    client.post("/invocations", json=body(rows), headers={"X-Target-Variant": "A"})
                    for rows in requests
                )
            )
            await state.shadows.drain(5.0)
            health = (await client.get("/health")).json()
            return answers, health["shadow_copies"]

    answers, copies = asyncio.run(scenario())
    for rows, answer in zip(requests, answers, strict=True):
        assert answer.status_code == 200
        np.testing.assert_allclose(answer.json()["predictions"], models()["A"].predict(rows))
    assert copies["sent"] == 60
    assert copies["failed"] == 20  # the negative ones: a batch holding one fails alone
    shadow = _totals(database, "ab", since)["S"]
    assert shadow["invocations"] - before == 60
    assert shadow["errors"] == copies["failed"]


def test_concurrent_requests_are_batched_and_each_gets_its_own_rows(
    store: tuple[Database, StudioConfig],
) -> None:
    _, config = store
    requests = [frame(1 + i % 5, seed=100 + i) for i in range(200)]

    async def scenario() -> tuple[list[httpx.Response], dict[str, int]]:
        async with serving(_settings(config)) as (client, _):
            answers = await asyncio.gather(
                *(
                    client.post("/invocations", json=body(rows), headers={"X-Target-Variant": "A"})
                    for rows in requests
                )
            )
            return answers, (await client.get("/health")).json()["variants"]["A"]

    answers, counters = asyncio.run(scenario())
    for rows, answer in zip(requests, answers, strict=True):
        np.testing.assert_allclose(answer.json()["predictions"], models()["A"].predict(rows))
    assert counters["requests"] == 200
    assert counters["batches"] < 200


def test_weights_change_live(store: tuple[Database, StudioConfig]) -> None:
    database, config = store
    from studio.serving.service import EndpointService

    service = EndpointService.from_database(database, config)
    payload = body(frame(1, seed=3))

    async def scenario() -> tuple[set[str], set[str], int]:
        async with serving(_settings(config)) as (client, state):
            before = state.router.config.config_version
            service.update("ab", weights={"A": 0.0, "B": 1.0})
            for _ in range(50):
                await asyncio.sleep(0.1)
                if state.router.config.config_version != before:
                    break
            after = {
                (await client.post("/invocations", json=payload)).headers["x-variant"]
                for _ in range(30)
            }
            service.update("ab", weights={"A": 1.0, "B": 0.0})
            for _ in range(50):
                await asyncio.sleep(0.1)
                if state.router.config.config_version == before + 2:
                    break
            back = {
                (await client.post("/invocations", json=payload)).headers["x-variant"]
                for _ in range(30)
            }
            return after, back, state.router.config.config_version - before

    try:
        after, back, moved = asyncio.run(scenario())
    finally:
        service.update("ab", weights={"A": 3.0, "B": 1.0})
    assert (after, back, moved) == ({"B"}, {"A"}, 2)


def test_bad_input_is_a_4xx_naming_the_problem(store: tuple[Database, StudioConfig]) -> None:
    _, config = store
    good = body(frame(2, seed=4))
    cases: list[tuple[int, str, dict[str, object]]] = [
        (400, "BAD_REQUEST", {"content": b"{not json"}),
        (
            400,
            "BAD_REQUEST",
            {"json": {"dataframe_split": good["dataframe_split"], "inputs": [[1]]}},
        ),
        (422, "", {"json": {"dataframe_records": [{"a": 1.0, "b": 2.0}]}}),
        (422, "", {"json": {"dataframe_records": [{"a": 1.0, "b": "x", "c": 2.0}]}}),
        (
            415,
            "UNSUPPORTED_MEDIA_TYPE",
            {"content": b"<a/>", "headers": {"content-type": "application/xml"}},
        ),
        (413, "REQUEST_TOO_LARGE", {"content": b" " * 5000}),
        (413, "", {"json": body(frame(30, seed=5))}),
        # The shadow's model, asked by name, refuses a negative value: the input's fault.
        (
            422,
            "MODEL_REJECTED_INPUT",
            {"json": body(frame(2, seed=6, low=-5.0)), "headers": {"X-Target-Variant": "S"}},
        ),
    ]

    async def scenario() -> list[httpx.Response]:
        settings = _settings(config, max_body_bytes=4096, max_rows=20)
        async with serving(settings) as (client, _):
            answers = [await client.post("/invocations", **case) for _, _, case in cases]  # type: ignore[arg-type]
            answers.append(await client.get("/invocations"))
            answers.append(await client.post("/feedback", json={"label": 1}))
            answers.append(await client.post("/feedback", content=b"[1"))
            return answers

    answers = asyncio.run(scenario())
    for (status, code, _), answer in zip(cases, answers, strict=False):
        assert answer.status_code == status, answer.text
        assert answer.json()["message"]
        assert code in answer.json()["error_code"]
        assert answer.headers["x-request-id"]
    assert "'c'" in answers[2].json()["message"]
    assert [answer.status_code for answer in answers[len(cases) :]] == [405, 400, 400]


def test_a_token_or_the_proxy_key_is_needed_when_the_endpoint_has_a_token(
    store: tuple[Database, StudioConfig],
) -> None:
    database, config = store
    from studio.serving.store import EndpointStore

    proxy_key = EndpointStore(database).endpoint_row("locked").proxy_key
    payload = body(frame(1, seed=7))
    headers: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer wrong-token-0123456789"},
        {"X-Studio-Proxy-Key": "not-the-key"},
        {"Authorization": f"Bearer {TOKEN}"},
        {"Authorization": f"Bearer {TOKEN}"},
        {"X-Studio-Proxy-Key": proxy_key},
    ]

    async def scenario() -> list[int]:
        async with serving(_settings(config, "locked")) as (client, _):
            statuses = [
                (await client.post("/invocations", json=payload, headers=h)).status_code
                for h in headers
            ]
            statuses.append((await client.get("/metadata")).status_code)
            statuses.append((await client.get("/health")).status_code)
            statuses.append((await client.get("/health", headers=headers[3])).status_code)
            statuses.append((await client.get("/ping")).status_code)
            return statuses

    assert asyncio.run(scenario()) == [401, 401, 401, 200, 200, 200, 401, 401, 200, 200]


def test_a_replica_token_guards_an_endpoint_without_one(
    store: tuple[Database, StudioConfig],
) -> None:
    _, config = store
    payload = body(frame(1, seed=7))
    extra = "replica-token-0123456789"

    async def scenario() -> list[int]:
        async with serving(_settings(config, token=extra)) as (client, _):
            return [
                (await client.post("/invocations", json=payload, headers=h)).status_code
                for h in (
                    {},
                    {"Authorization": f"Bearer {TOKEN}"},
                    {"Authorization": f"Bearer {extra}"},
                )
            ]

    assert asyncio.run(scenario()) == [401, 401, 200]


def test_feedback_scores_answered_requests(store: tuple[Database, StudioConfig]) -> None:
    _, config = store
    rows = frame(1, seed=8)

    async def scenario() -> tuple[dict[str, int], dict[str, object], dict[str, object]]:
        async with serving(_settings(config)) as (client, state):
            answer = await client.post(
                "/invocations", json=body(rows), headers={"X-Request-Id": "req-1"}
            )
            assert answer.headers["x-request-id"] == "req-1"
            state.recorder.flush()
            labels = [
                {"request_id": "req-1", "label": 2.0},
                {"request_id": "never-sent", "label": 1.0},
            ]
            counts = (await client.post("/feedback", json=labels)).json()
            again = await client.post("/feedback", json=labels[0])  # a second label: 409
            assert (again.status_code, again.json()["error_code"]) == (409, "CONFLICT")
            nested = await client.post("/feedback", content=b"[" * 100_000 + b"]" * 100_000)
            assert (nested.status_code, nested.json()["error_code"]) == (400, "BAD_REQUEST")
            metadata = (await client.get("/metadata")).json()
            document = (await client.get("/openapi.json")).json()
            return counts, metadata, document

    counts, metadata, document = asyncio.run(scenario())
    assert counts == {"scored": 1, "pending": 1}
    assert [(v["name"], v["role"]) for v in metadata["variants"]] == [
        ("A", "primary"),
        ("B", "primary"),
        ("S", "shadow"),
    ]  # type: ignore[index]
    assert metadata["variants"][0]["signature"]["inputs"][0]["name"] == "a"  # type: ignore[index]
    assert "/invocations" in document["paths"]  # type: ignore[operator]
    json.dumps(document)


def test_a_replica_beyond_loopback_answers_nobody_once_its_endpoint_has_no_token(
    store: tuple[Database, StudioConfig],
) -> None:
    # `studio serve --host 0.0.0.0` started while "ab" had a token; the token was removed since.
    database, config = store
    from studio.serving.store import EndpointStore

    proxy_key = EndpointStore(database).endpoint_row("ab").proxy_key
    payload = body(frame(1, seed=7))

    async def scenario() -> list[httpx.Response]:
        async with serving(_settings(config, bind_host="0.0.0.0")) as (client, _):
            return [
                await client.post("/invocations", json=payload, headers=h)
                for h in (
                    {},
                    {"Authorization": f"Bearer {TOKEN}"},
                    {"X-Studio-Proxy-Key": proxy_key},
                )
            ] + [await client.get("/metadata"), await client.post("/feedback", json=[])]

    answers = asyncio.run(scenario())
    assert [answer.status_code for answer in answers] == [401, 401, 200, 401, 401]
    assert "no token any more" in answers[0].json()["message"]


def test_an_alias_moved_to_a_version_not_approved_leaves_the_served_one_in_place(
    store: tuple[Database, StudioConfig], caplog: pytest.LogCaptureFixture
) -> None:
    database, config = store
    from studio.registry.service import RegistryService
    from studio.serving.service import EndpointService

    registry = RegistryService(database, config)
    served = register_approved(registry, models()["A"], "aliased")
    later = register_approved(registry, models()["B"], "aliased")
    refused = register_approved(registry, models()["S"], "aliased")
    registry.reject("aliased", int(refused.rsplit("/", 1)[1]))
    registry.set_alias("aliased", "live", int(served.rsplit("/", 1)[1]))
    EndpointService.from_database(database, config).create("aliased", {"A": "models:/aliased@live"})
    rows = frame(2, seed=11)

    async def predict_after_move(client: httpx.AsyncClient, version: str) -> list[float]:
        registry.set_alias("aliased", "live", int(version.rsplit("/", 1)[1]))
        await asyncio.sleep(0.5)  # the worker polls every 0.1 s here
        answer = await client.post("/invocations", json=body(rows))
        assert answer.status_code == 200, answer.text
        predictions: list[float] = answer.json()["predictions"]
        return predictions

    async def scenario() -> tuple[list[float], list[float], int]:
        async with serving(_settings(config, "aliased")) as (client, state):
            kept = await predict_after_move(client, refused)
            version = state.router.config.variants[0].model_version
            return kept, await predict_after_move(client, later), version

    with caplog.at_level(logging.ERROR, logger="studio.serving.asgi"):
        kept, moved, version = asyncio.run(scenario())
    assert version == 1  # the rejected version 3 never replaced it
    # Refused at each of the ~5 polls while the alias named it, logged once.
    failures = [r for r in caplog.records if "configuration failed" in r.getMessage()]
    assert len(failures) == 1
    assert "REJECTED" in str(failures[0].exc_info[1])  # type: ignore[index]
    np.testing.assert_allclose(kept, models()["A"].predict(rows))
    np.testing.assert_allclose(moved, models()["B"].predict(rows))
