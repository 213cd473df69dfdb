"""Run search in the tracking store (filters, ordering, pagination), on SQLite and (with
STUDIO_TEST_DB_URL) on PostgreSQL, as `make test` runs it.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pytest

from studio.errors import InvalidInput
from studio.tracking.entities import RunPage, RunStatus

if TYPE_CHECKING:
    from studio.tracking.store import TrackingStore

INF = math.inf
NAN = math.nan


def names(page: RunPage) -> list[str]:
    return [run.name for run in page.runs]


# Search -----------------------------------------------------------------------------------

# name, status, metrics, params, tags; start times go up by 10 ms in this order and each
# finished run lasted 5 ms times its position (alpha 5, beta 10, gamma 15, Epsilon 25).
FINISHED, FAILED, RUNNING, KILLED = (
    RunStatus.FINISHED,
    RunStatus.FAILED,
    RunStatus.RUNNING,
    RunStatus.KILLED,
)
ZOO: Sequence[tuple[str, RunStatus, dict[str, float], dict[str, str], dict[str, str]]] = [
    ("alpha", FINISHED, {"acc": 0.95, "loss": 0.1}, {"depth": "3", "lr": "0.1"}, {"team": "a"}),
    ("beta", FINISHED, {"acc": 0.80, "loss": 0.3}, {"depth": "5", "lr": "0.01"}, {"team": "b"}),
    ("gamma", FAILED, {"acc": 0.91}, {"depth": "3"}, {"team": "a", "note": "x"}),
    ("delta", RUNNING, {}, {"depth": "10"}, {}),
    ("Epsilon", KILLED, {"acc": 0.5, "val acc": 0.4}, {"depth": "7"}, {"team": "c"}),
]
ALL = {"alpha", "beta", "gamma", "delta", "Epsilon"}


@pytest.fixture
def store(module_store: TrackingStore) -> TrackingStore:
    """The module's one store: its tests only search the runs that `zoo` and `crowd` seed."""
    return module_store


@pytest.fixture(scope="module")
def zoo(module_store: TrackingStore) -> int:
    """An experiment with the ZOO runs, beside another experiment with one run."""
    store = module_store
    experiment = store.create_experiment("zoo")
    for position, (name, status, metrics, params, tags) in enumerate(ZOO):
        start = 1_000 + 10 * position
        store.create_run(
            experiment.id,
            name=name,
            status=status,
            start_time=start,
            end_time=None if status is RunStatus.RUNNING else start + 5 * (position + 1),
            params=params,
            tags=tags,
            metrics=[(key, value, 0, start) for key, value in metrics.items()],
        )
    other = store.create_experiment("elsewhere")
    store.create_run(other.id, name="outsider", metrics=[("acc", 0.99, 0, 0)], tags={"team": "a"})
    return experiment.id


@pytest.mark.parametrize(
    ("filter_text", "expected"),
    [
        ("", ALL),
        ("   ", ALL),
        ("metrics.acc > 0.9", {"alpha", "gamma"}),
        (
            "metrics.acc > 0.9 and params.depth = '3' and status = 'FINISHED' and tags.team = 'a'",
            {"alpha"},
        ),
        ("metrics.acc >= 0.8 and metrics.acc <= 0.91", {"beta", "gamma"}),
        ("metrics.acc = 0.5", {"Epsilon"}),
        ("metrics.acc == 0.5", {"Epsilon"}),
        ("metrics.acc != 0.5", {"alpha", "beta", "gamma"}),
        ("metrics.acc <> 0.5", {"alpha", "beta", "gamma"}),
        ("metrics.loss < 0.2", {"alpha"}),
        ("metrics.acc > 1", set()),
        ("metrics.`val acc` < 0.45", {"Epsilon"}),
        ("metrics.acc in (0.5, 0.8)", {"beta", "Epsilon"}),
        ("metrics.acc not in (0.5, 0.8)", {"alpha", "gamma"}),
        ("metrics.acc is null", {"delta"}),
        ("metrics.loss is not null", {"alpha", "beta"}),
        ("params.depth = '3'", {"alpha", "gamma"}),
        ('params.depth = "3"', {"alpha", "gamma"}),
        ("params.depth != '3'", {"beta", "delta", "Epsilon"}),
        ("params.depth in ('5', '10')", {"beta", "delta"}),
        ("params.depth not in ('3', '5')", {"delta", "Epsilon"}),
        ("params.lr like '0.0%'", {"beta"}),
        ("params.lr is null", {"gamma", "delta", "Epsilon"}),
        ("param.lr is not null", {"alpha", "beta"}),
        ("tags.team = 'a'", {"alpha", "gamma"}),
        ("tag.team in ('b', 'c')", {"beta", "Epsilon"}),
        ("tags.note is not null", {"gamma"}),
        ("tags.team is null", {"delta"}),
        ("status = 'FINISHED'", {"alpha", "beta"}),
        ("status = 'finished'", {"alpha", "beta"}),
        ("status in ('FAILED', 'KILLED')", {"gamma", "Epsilon"}),
        ("status != 'RUNNING'", ALL - {"delta"}),
        ("attributes.status = 'RUNNING'", {"delta"}),
        ("run.name = 'beta'", {"beta"}),
        ("name like '%a'", {"alpha", "beta", "gamma", "delta"}),
        ("name ilike 'E%'", {"Epsilon"}),
        ("name ilike 'e%'", {"Epsilon"}),
        ("end_time is null", {"delta"}),
        ("end_time is not null", ALL - {"delta"}),
        ("start_time >= 1020", {"gamma", "delta", "Epsilon"}),
        ("start_time < 1010.5", {"alpha", "beta"}),
        ("duration > 12", {"gamma", "Epsilon"}),
        ("parent_run_id is null", ALL),
        # `and` binds tighter than `or`; parentheses and `not` change that.
        ("status = 'RUNNING' or metrics.acc > 0.9 and tags.team = 'b'", {"delta"}),
        ("(status = 'RUNNING' or metrics.acc > 0.9) and tags.team = 'a'", {"alpha", "gamma"}),
        ("status = 'RUNNING' or (metrics.acc > 0.9 and tags.team = 'b')", {"delta"}),
        ("not status = 'FINISHED'", {"gamma", "delta", "Epsilon"}),
        ("not (tags.team = 'a' or tags.team = 'b')", {"delta", "Epsilon"}),
        ("not not status = 'RUNNING'", {"delta"}),
        ("((metrics.acc > 0.9))", {"alpha", "gamma"}),
        # Keywords and prefixes in any case.
        ("STATUS = 'FINISHED' AND Metrics.acc > 0.9", {"alpha"}),
        ("tags.team IS NULL OR params.depth IN ('7')", {"delta", "Epsilon"}),
        ("NOT name LIKE '%a'", {"Epsilon"}),
        # A quote inside a value is data, never SQL.
        (r"name = 'it\'s' or name = 'x\' or \'1\'=\'1'", set()),
    ],
)
def test_search_filters(
    store: TrackingStore, zoo: int, filter_text: str, expected: set[str]
) -> None:
    found = store.search_runs([zoo], filter=filter_text)
    assert set(names(found)) == expected
    assert store.count_runs(zoo, filter_text) == len(expected)


def test_like_is_case_sensitive(store: TrackingStore, zoo: int) -> None:
    assert names(store.search_runs([zoo], filter="name like 'e%'")) == []
    assert names(store.search_runs([zoo], filter="name like 'E%'")) == ["Epsilon"]


def test_search_is_limited_to_the_given_experiments(store: TrackingStore, zoo: int) -> None:
    assert set(names(store.search_runs([zoo], filter="metrics.acc > 0.9"))) == {"alpha", "gamma"}
    everywhere = store.search_runs(filter="metrics.acc > 0.9")
    assert set(names(everywhere)) == {"alpha", "gamma", "outsider"}
    outsider = store.get_experiment_by_name("elsewhere")
    assert outsider is not None
    assert names(store.search_runs([outsider.id])) == ["outsider"]
    assert set(names(store.search_runs([zoo, outsider.id]))) == ALL | {"outsider"}
    assert names(store.search_runs([zoo], filter=f"experiment_id = {outsider.id}")) == []


def test_search_returns_whole_runs(store: TrackingStore, zoo: int) -> None:
    [alpha] = store.search_runs([zoo], filter="name = 'alpha'").runs
    assert alpha.params == {"depth": "3", "lr": "0.1"}
    assert alpha.tags == {"team": "a"}
    assert alpha.metrics["acc"].last == 0.95
    assert alpha.status is RunStatus.FINISHED
    assert store.get_run(alpha.id) == alpha


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ([], ["Epsilon", "delta", "gamma", "beta", "alpha"]),  # newest first
        (["metrics.acc desc"], ["alpha", "gamma", "beta", "Epsilon", "delta"]),
        (["metrics.acc asc"], ["Epsilon", "beta", "gamma", "alpha", "delta"]),
        (["metrics.acc"], ["Epsilon", "beta", "gamma", "alpha", "delta"]),
        (["metrics.acc DESC"], ["alpha", "gamma", "beta", "Epsilon", "delta"]),
        (["metrics.`val acc` desc"], ["Epsilon", "delta", "gamma", "beta", "alpha"]),
        (["params.lr desc"], ["alpha", "beta", "Epsilon", "delta", "gamma"]),
        (["params.lr asc"], ["beta", "alpha", "Epsilon", "delta", "gamma"]),
        (["params.depth", "metrics.acc desc"], ["delta", "alpha", "gamma", "beta", "Epsilon"]),
        (["tags.team desc"], ["Epsilon", "beta", "gamma", "alpha", "delta"]),
        (["start_time asc"], ["alpha", "beta", "gamma", "delta", "Epsilon"]),
        (["attributes.start_time desc"], ["Epsilon", "delta", "gamma", "beta", "alpha"]),
        (["end_time desc"], ["Epsilon", "gamma", "beta", "alpha", "delta"]),
        (["end_time asc"], ["alpha", "beta", "gamma", "Epsilon", "delta"]),
        (["duration desc"], ["Epsilon", "gamma", "beta", "alpha", "delta"]),
        (["status", "name desc"], ["gamma", "beta", "alpha", "Epsilon", "delta"]),
    ],
)
def test_search_order(
    store: TrackingStore, zoo: int, order_by: list[str], expected: list[str]
) -> None:
    """Runs without the ordered value come last whichever the direction."""
    assert names(store.search_runs([zoo], order_by=order_by)) == expected


def test_order_by_name(store: TrackingStore, zoo: int) -> None:
    found = store.search_runs([zoo], filter="status != 'KILLED'", order_by=["name asc"])
    assert names(found) == ["alpha", "beta", "delta", "gamma"]


@pytest.mark.parametrize(
    "order_by",
    [
        ["metrics.acc sideways"],
        ["bogus"],
        ["metrics."],
        [""],
        ["metrics.acc desc desc"],
        ["metrics.acc > 1"],
    ],
)
def test_bad_order_by(store: TrackingStore, zoo: int, order_by: list[str]) -> None:
    with pytest.raises(InvalidInput):
        store.search_runs([zoo], order_by=order_by)


@pytest.fixture(scope="module")
def crowd(module_store: TrackingStore) -> int:
    """130 runs with many ties: three start times, seven metric values, some without it (all
    below 0.9: the searches of every experiment above never find them)."""
    store = module_store
    experiment = store.create_experiment("crowd")
    for i in range(130):
        store.create_run(
            experiment.id,
            start_time=1_000 + i % 3,
            params={"group": str(i % 4)},
            metrics=[] if i % 10 == 0 else [("acc", (i % 7) / 10, 0, 0)],
        )
    return experiment.id


@pytest.mark.parametrize(
    "order_by",
    [[], ["metrics.acc desc"], ["metrics.acc asc"], ["params.group", "metrics.acc desc"]],
)
def test_pages_concatenate_to_the_whole_ordered_set(
    store: TrackingStore, crowd: int, order_by: list[str]
) -> None:
    whole = store.search_runs([crowd], order_by=order_by, max_results=1_000)
    assert whole.next_page_token is None
    assert len(whole.runs) == 130
    paged: list[str] = []
    token: str | None = None
    pages = 0
    while True:
        page = store.search_runs([crowd], order_by=order_by, max_results=17, page_token=token)
        pages += 1
        assert len(page.runs) <= 17
        paged.extend(run.id for run in page.runs)
        token = page.next_page_token
        if token is None:
            break
    assert pages == 8  # 7 full pages and 11 runs on the last
    assert len(set(paged)) == 130
    assert paged == [run.id for run in whole.runs]


def test_metric_order_puts_runs_without_the_metric_last(store: TrackingStore, crowd: int) -> None:
    for direction in ("asc", "desc"):
        runs = store.search_runs([crowd], order_by=[f"metrics.acc {direction}"]).runs
        values = [run.metrics["acc"].last for run in runs if "acc" in run.metrics]
        assert values == sorted(values, reverse=direction == "desc")
        assert all("acc" not in run.metrics for run in runs[len(values) :])
        assert len(values) == 117


def test_exactly_one_page(store: TrackingStore, zoo: int) -> None:
    page = store.search_runs([zoo], max_results=5)
    assert len(page.runs) == 5
    assert page.next_page_token is None
    first = store.search_runs([zoo], max_results=4)
    assert first.next_page_token is not None
    rest = store.search_runs([zoo], max_results=4, page_token=first.next_page_token)
    assert names(rest) == ["alpha"]
    assert rest.next_page_token is None


def _token(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode()


@pytest.mark.parametrize(
    "token",
    [
        "not a token",
        "bm90IGpzb24=",  # "not json"
        _token([1, 2]),
        _token("offset"),
        _token({"page": 2}),
        _token({"offset": -5}),
        _token({"offset": "10"}),
        _token({"offset": 1.5}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_bad_page_tokens(store: TrackingStore, zoo: int, token: str) -> None:
    with pytest.raises(InvalidInput, match="page_token"):
        store.search_runs([zoo], page_token=token)


def test_page_token_with_a_huge_offset(store: TrackingStore, zoo: int) -> None:
    with pytest.raises(InvalidInput, match="page_token"):
        store.search_runs([zoo], page_token=_token({"offset": 2**70}))


def test_page_token_past_the_end_gives_an_empty_page(store: TrackingStore, zoo: int) -> None:
    page = store.search_runs([zoo], page_token=_token({"offset": 1_000}))
    assert (page.runs, page.next_page_token) == ([], None)


@pytest.mark.parametrize("max_results", [0, -1, 50_001])
def test_bad_max_results(store: TrackingStore, zoo: int, max_results: int) -> None:
    with pytest.raises(InvalidInput, match="max_results"):
        store.search_runs([zoo], max_results=max_results)


@pytest.mark.parametrize(
    ("filter_text", "message"),
    [
        ("metrics.acc >", "expected a value at the end"),
        ("metrics.acc > 0.9 and", "at the end"),
        ("metrics.acc ? 3", "unexpected character '?' at position 12"),
        ("status = 'FINISHED' and metrics.acc > 'high'", "compare it with a number"),
        ("metrics.acc like '0.9%'", "compare it with a number"),
        ("params.depth = 3", "compare it with a quoted string"),
        ("params.depth > '3'", "use =, !=, like, ilike or in"),
        ("flavour = 'sweet'", "unknown name 'flavour'"),
        ("flavour = 'sweet'", "at position 0 ('flavour')"),
        ("(status = 'FINISHED'", "expected ')' at the end"),
        ("status = 'FINISHED')", "unexpected ')' at position 19"),
        (
            "status 'FINISHED'",
            "expected a comparison operator after attributes.status at position 7",
        ),
        ("start_time > 'yesterday'", "start_time must be compared with a number"),
        ("status = 1", "status must be compared with a quoted string"),
        ("name = 'unterminated", 'unexpected character "\'" at position 7'),
        ("metrics.acc > 0.9 metrics.loss < 1", "unexpected 'metrics.loss' at position 18"),
        (
            "and status = 'FINISHED'",
            "expected a name such as metrics.accuracy or status at position 0",
        ),
        ("status in 'FINISHED'", "expected '('"),
        ("tags.team is 'a'", "expected 'null'"),
        ("name = 'x'' or 1=1 --'", "unexpected"),
    ],
)
def test_bad_filters_say_what_and_where(
    store: TrackingStore, zoo: int, filter_text: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as raised:
        store.search_runs([zoo], filter=filter_text)
    assert message in raised.value.message
    assert raised.value.message.startswith("Invalid filter")
    # Nothing was damaged by the attempt.
    assert len(store.search_runs([zoo]).runs) == 5
