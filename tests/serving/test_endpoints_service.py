"""Endpoints' configuration through `EndpointService` and its store: the rules of create and
update, configuration versions, alias moves, the deployment history, replicas. On SQLite, and
on PostgreSQL where STUDIO_TEST_DB_URL names a server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from studio.config import StudioConfig
from studio.errors import Conflict, InvalidInput, NotFound
from studio.serving.entities import Task, VariantRole
from studio.serving.service import EndpointService
from studio.serving.tokens import hash_token, new_proxy_key, verify_token
from tests.serving.registry_rows import NOW, add_version, set_alias

if TYPE_CHECKING:
    from studio.db.engine import Database

TOKEN = "s3cret-token-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> int:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(database: Database, database_url: str, tmp_path: Path, clock: Clock) -> EndpointService:
    config = StudioConfig.resolve(home=tmp_path / "home", db_url=database_url)
    built = EndpointService.from_database(database, config)
    built.clock = clock
    add_version(database, "iris", 1)
    add_version(
        database, "iris", 2, untrusted=("sklearn.tree._tree.Tree", "my.Step"), approved=("my.Step",)
    )
    add_version(database, "iris", 3, status="PENDING")
    add_version(database, "other", 1)
    return built


def _ab(service: EndpointService, **kwargs: object) -> None:
    service.create(
        "iris-ab",
        {"A": ("models:/iris/1", 1.0), "B": "models:/iris/2"},
        shadows={"S": ("models:/other/1", 0.5)},
        **kwargs,  # type: ignore[arg-type]
    )


def test_create_records_variants_version_and_history(service: EndpointService) -> None:
    _ab(service, capture=0.25, task="classification", description="two irises")
    endpoint = service.get("iris-ab")
    assert endpoint.config_version == 1
    assert (endpoint.capture, endpoint.task, endpoint.has_token) == (
        0.25,
        Task.CLASSIFICATION,
        False,
    )
    assert (endpoint.host, endpoint.port, endpoint.workers) == ("127.0.0.1", None, 1)
    assert [
        (v.name, v.role, v.model_name, v.model_version, v.weight, v.sampling)
        for v in endpoint.variants
    ] == [
        ("A", VariantRole.PRIMARY, "iris", 1, 1.0, 1.0),
        ("B", VariantRole.PRIMARY, "iris", 2, 1.0, 1.0),
        ("S", VariantRole.SHADOW, "other", 1, 0.0, 0.5),
    ]
    assert not endpoint.running
    assert endpoint.replicas == ()
    events = service.events("iris-ab")
    assert [(e["kind"], e["model_uri"]) for e in events] == [
        ("created", None),
        ("deployed", "models:/iris/1"),
        ("deployed", "models:/iris/2"),
        ("deployed", "models:/other/1"),
    ]
    assert events[0]["detail"]["variants"]["S"] == {
        "role": "shadow",
        "model_uri": "models:/other/1",
        "weight": 1.0,
        "sampling": 0.5,
    }
    assert [e.name for e in service.list()] == ["iris-ab"]


CREATE_REFUSALS: list[tuple[dict, dict, type[Exception], str]] = [
    ({"A": "models:/iris/3"}, {}, Conflict, "version 3 of 'iris', which is PENDING"),
    ({"A": "models:/nope/1"}, {}, NotFound, "Variant 'A'"),
    ({"A": ("models:/iris/1", -1)}, {}, InvalidInput, "must be 0 or more"),
    ({"A": ("models:/iris/1", 0)}, {}, InvalidInput, "a weight above 0"),
    ({"A": ("models:/iris/1", float("nan"))}, {}, InvalidInput, "finite number"),
    ({"A b": "models:/iris/1"}, {}, InvalidInput, "Invalid variant name 'A b'"),
    ({"A": "models:/iris/1"}, {"shadows": {"A": "models:/iris/2"}}, InvalidInput, "used twice: A"),
    (
        {"A": "models:/iris/1"},
        {"shadows": {"S": ("models:/iris/2", 0)}},
        InvalidInput,
        "above 0 and at most 1",
    ),
    ({"A": "models:/iris/1"}, {"shadows": {"S": "models:/iris/3"}}, Conflict, "PENDING"),
    ({"A": "models:/iris/1"}, {"capture": 1.5}, InvalidInput, "0 to 1"),
    ({"A": "models:/iris/1"}, {"task": "ranking"}, InvalidInput, "Unknown task 'ranking'"),
    (
        {"A": "models:/iris/1"},
        {"host": "0.0.0.0"},
        InvalidInput,
        "without a token listens only on loopback",
    ),
    ({"A": "models:/iris/1"}, {"token": "short"}, InvalidInput, "16 to 256"),
    ({"A": "models:/iris/1"}, {"workers": 0}, InvalidInput, "workers is 1 to"),
    ({}, {}, InvalidInput, "at least one variant"),
    ({}, {"shadows": {"S": "models:/iris/1"}}, InvalidInput, "at least one variant"),
]


def test_create_refuses_with_a_message_naming_the_problem(service: EndpointService) -> None:
    for variants, kwargs, error, fragment in CREATE_REFUSALS:
        with pytest.raises(error) as raised:
            service.create("bad", variants, **kwargs)
        assert fragment in str(raised.value), (variants, kwargs)
    assert service.list() == []
    assert service.events("bad") == []


def test_names_and_duplicates(service: EndpointService) -> None:
    for name in ("", "../x", "a b", "x" * 129):
        with pytest.raises(InvalidInput, match="Invalid endpoint name"):
            service.create(name, {"A": "models:/iris/1"})
    service.create("twice", {"A": "models:/iris/1"})
    with pytest.raises(Conflict, match="already exists"):
        service.create("twice", {"A": "models:/iris/1"})


def test_update_bumps_the_version_and_keeps_the_history(
    service: EndpointService, clock: Clock
) -> None:
    _ab(service)
    clock.now += 1000
    changed = service.update("iris-ab", weights={"A": 9, "B": 1}, actor="ana")
    assert changed.config_version == 2
    assert changed.evaluation_since == clock.now
    assert {v.name: v.weight for v in changed.primaries} == {"A": 9.0, "B": 1.0}
    clock.now += 1000
    changed = service.update(
        "iris-ab", variants={"B": ("models:/other/1", 1.0)}, shadows={"T": "models:/iris/1"}
    )
    assert changed.config_version == 3
    assert {v.name: v.model_uri for v in changed.variants} == {
        "A": "models:/iris/1",
        "B": "models:/other/1",
        "S": "models:/other/1",
        "T": "models:/iris/1",
    }
    changed = service.update("iris-ab", remove=["S"], capture=1.0)
    assert changed.config_version == 4
    assert changed.capture == 1.0
    assert [v.name for v in changed.shadows] == ["T"]
    changed = service.update("iris-ab", description="now", task=None)
    assert changed.config_version == 5
    assert changed.evaluation_since == NOW + 2000
    kinds = [(e["kind"], e["actor"]) for e in service.events("iris-ab")][4:]
    assert kinds == [
        ("weights", "ana"),
        ("deployed", None),
        ("deployed", None),
        ("removed", None),
        ("changed", None),
        ("changed", None),
    ]
    events = service.events("iris-ab")
    assert events[4]["detail"] == {"from": {"A": 1.0, "B": 1.0}, "to": {"A": 9.0, "B": 1.0}}
    assert events[5]["detail"]["replaces"] == "models:/iris/2"
    assert events[7]["model_uri"] == "models:/other/1"
    assert events[7]["detail"]["variant"] == "S"


UPDATE_REFUSALS: list[tuple[dict, type[Exception], str]] = [
    ({"remove": ["A", "B"]}, InvalidInput, "at least one primary variant with a weight above 0"),
    ({"weights": {"A": 0, "B": 0}}, InvalidInput, "a weight above 0"),
    ({"weights": {"S": 1.0}}, InvalidInput, "'S' of endpoint 'iris-ab' is a shadow"),
    ({"weights": {"C": 1.0}}, NotFound, "has no variant 'C' (its variants: A, B, S)"),
    ({"remove": ["C"]}, NotFound, "has no variant 'C'"),
    ({"variants": {"C": "models:/iris/3"}}, Conflict, "PENDING"),
    ({"remove": "A"}, InvalidInput, "a list of variant names"),
    ({}, InvalidInput, "Nothing to change"),
    ({"token": None, "capture": 2}, InvalidInput, "0 to 1"),
]


def test_update_refusals_change_nothing(service: EndpointService) -> None:
    _ab(service)
    for change, error, fragment in UPDATE_REFUSALS:
        with pytest.raises(error) as raised:
            service.update("iris-ab", **change)
        assert fragment in str(raised.value), change
    endpoint = service.get("iris-ab")
    assert endpoint.config_version == 1
    assert len(endpoint.variants) == 3
    assert len(service.events("iris-ab")) == 4


def test_a_weight_of_zero_keeps_a_variant_reachable(service: EndpointService) -> None:
    _ab(service)
    changed = service.update("iris-ab", weights={"B": 0})
    assert {v.name: v.weight for v in changed.primaries} == {"A": 1.0, "B": 0.0}


def test_tokens_are_kept_hashed(service: EndpointService) -> None:
    _ab(service, token=TOKEN, host="0.0.0.0")
    endpoint = service.get("iris-ab")
    assert endpoint.has_token
    assert endpoint.host == "0.0.0.0"
    token_hash = service.config("iris-ab").token_hash
    assert token_hash is not None
    assert TOKEN not in token_hash
    assert verify_token(TOKEN, token_hash)
    assert not verify_token(TOKEN + "x", token_hash)
    with pytest.raises(InvalidInput, match="cannot lose its token"):
        service.update("iris-ab", token=None)
    service.update("iris-ab", token="another-token-0123456789")
    assert not verify_token(TOKEN, service.config("iris-ab").token_hash or "")


def test_config_resolves_versions_and_trusted_types(
    service: EndpointService, database: Database
) -> None:
    _ab(service, capture=0.5)
    config = service.config("iris-ab")
    assert (config.name, config.config_version, config.capture, config.token_hash) == (
        "iris-ab",
        1,
        0.5,
        None,
    )
    by_name = {v.name: v for v in config.variants}
    b = by_name["B"]
    assert (b.model_name, b.model_version, b.role, b.weight, b.format, b.sha256) == (
        "iris",
        2,
        VariantRole.PRIMARY,
        1.0,
        "skops",
        "0" * 64,
    )
    assert b.storage_path.endswith("/2")
    assert b.signature is not None
    # Studio's own types found in the file, and those approved on the version; never the rest.
    assert b.trusted_types == ("my.Step", "sklearn.tree._tree.Tree")
    assert by_name["S"].role is VariantRole.SHADOW
    assert by_name["S"].sampling == 0.5
    assert config.endpoint_id == service.endpoint_id("iris-ab")


def test_an_alias_move_reaches_config_and_stamp(
    service: EndpointService, database: Database, clock: Clock
) -> None:
    set_alias(database, "iris", "champion", 1, NOW + 5)
    set_alias(database, "iris", "other-alias", 1, NOW + 7)
    service.create("champ", {"A": "models:/iris@champion"})
    assert service.config_stamp("champ") == (1, NOW + 5)
    assert service.config("champ").variants[0].model_version == 1
    set_alias(database, "iris", "other-alias", 2, NOW + 50)  # not one the endpoint names
    assert service.config_stamp("champ") == (1, NOW + 5)
    set_alias(database, "iris", "champion", 2, NOW + 60)
    assert service.config_stamp("champ") == (1, NOW + 60)
    assert service.config("champ").variants[0].model_version == 2
    set_alias(database, "iris", "champion", 3, NOW + 70)
    with pytest.raises(Conflict, match="PENDING"):
        service.config("champ")
    service.update("champ", weights={"A": 2})
    assert service.config_stamp("champ") == (2, NOW + 70)
    service.update("champ", variants={"A": "models:/iris/1"})
    assert service.config_stamp("champ") == (3, 0)


def test_replicas_beat_stop_and_block_delete(service: EndpointService, clock: Clock) -> None:
    _ab(service)
    replica_id = service.register_replica(
        "iris-ab",
        host="box",
        bind_host="127.0.0.1",
        port=8123,
        pid=4242,
        pgid=4242,
        pid_started_at=1.5,
        workers=2,
    )
    (replica,) = service.replicas("iris-ab")
    assert (replica.id, replica.port, replica.workers, replica.managed, replica.alive) == (
        replica_id,
        8123,
        2,
        False,
        True,
    )
    assert service.get("iris-ab").running
    with pytest.raises(Conflict, match="is running: stop it"):
        service.delete("iris-ab")
    clock.now += 15_001
    assert not service.get("iris-ab").running
    service.beat(replica_id)
    assert service.get("iris-ab").running
    service.replica_stopped(replica_id, "killed")
    service.beat(replica_id)
    (replica,) = service.replicas("iris-ab")
    assert (replica.alive, replica.stopped_at, replica.error) == (False, clock.now, "killed")
    service.replica_stopped(replica_id, "again")
    assert service.replicas("iris-ab")[0].error == "killed"
    service.delete("iris-ab", actor="ana")
    with pytest.raises(NotFound, match="No endpoint is named 'iris-ab'"):
        service.get("iris-ab")
    assert service.events("iris-ab")[-1]["kind"] == "deleted"
    with pytest.raises(NotFound):
        service.register_replica(
            "iris-ab",
            host="box",
            bind_host="127.0.0.1",
            port=1,
            pid=1,
            pgid=1,
            pid_started_at=0,
            workers=1,
        )


def test_proxy_target_needs_a_live_replica(service: EndpointService, clock: Clock) -> None:
    from studio.serving.process import NotRunning, this_host

    _ab(service)
    with pytest.raises(NotRunning, match="not running"):
        service.proxy_target("iris-ab")
    service.register_replica(
        "iris-ab",
        host="far",
        bind_host="10.1.2.3",
        port=9000,
        pid=1,
        pgid=1,
        pid_started_at=0,
        workers=1,
    )
    clock.now += 1
    service.register_replica(
        "iris-ab",
        host=this_host(),
        bind_host="0.0.0.0",
        port=9001,
        pid=2,
        pgid=2,
        pid_started_at=0,
        workers=1,
    )
    url, headers = service.proxy_target("iris-ab")
    assert url == "http://127.0.0.1:9001"
    assert headers["X-Studio-Proxy-Key"] == service.store.endpoint_row("iris-ab").proxy_key
    clock.now += 15_001  # the local one is stale now, the far one too
    with pytest.raises(NotRunning):
        service.proxy_target("iris-ab")


def test_token_hashes_are_salted_and_malformed_ones_match_nothing() -> None:
    first, second = hash_token(TOKEN), hash_token(TOKEN)
    assert first != second
    assert first.startswith("scrypt$16384$8$1$")
    assert verify_token(TOKEN, first)
    assert verify_token(TOKEN, second)
    for malformed in ("", "scrypt$1$2", "md5$16384$8$1$AAAA$AAAA", first.replace("16384", "x")):
        assert not verify_token(TOKEN, malformed)
    assert len(new_proxy_key()) == 43
    assert new_proxy_key() != new_proxy_key()
