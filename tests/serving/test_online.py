"""Online evaluation: the tests' numbers, the decide-once rule, and the store's sums."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pytest
from scipy import stats
from sqlalchemy import insert

from studio.serving.entities import Task
from studio.serving.online import (
    PILOT_ROWS,
    Moments,
    compare,
    n_per_arm_means,
    n_per_arm_proportions,
    online_evaluation,
    two_proportion_ztest,
    welch_from_moments,
)
from studio.serving.orm import SqlEndpointPrediction
from tests.serving.endpoint_rows import insert_endpoint

if TYPE_CHECKING:
    from studio.db.engine import Database


def moments(values: np.ndarray) -> Moments:
    return Moments(len(values), float(values.sum()), float((values * values).sum()))


def prefix(values: np.ndarray, visible: int | None = None) -> Callable[[int | None], Moments]:
    """An arm as the store would see it with only its first `visible` labels in."""
    seen = values[: len(values) if visible is None else visible]
    return lambda limit: moments(seen if limit is None else seen[:limit])


def test_two_proportion_z_and_sample_size_match_the_reference_numbers() -> None:
    z, p = two_proportion_ztest(850, 1000, 880, 1000)
    assert z == pytest.approx(1.963049807622357, rel=1e-12)
    assert p == pytest.approx(0.04964038686536856, rel=1e-12)
    assert n_per_arm_proportions(0.85, 0.88) == 2036
    assert n_per_arm_means(0.5, 0.6, 0.08) == 749
    assert math.isnan(two_proportion_ztest(10, 10, 20, 20)[1])  # all right on both sides


def test_welch_from_moments_equals_scipy_on_the_raw_values() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(1.0, 0.5, 400), rng.normal(0.92, 0.6, 350)
    t, p = welch_from_moments(moments(a), moments(b))
    reference = stats.ttest_ind(b, a, equal_var=False)
    assert t == pytest.approx(reference.statistic, rel=1e-9)
    assert p == pytest.approx(reference.pvalue, rel=1e-9)


def test_deciding_once_keeps_false_winners_near_alpha_however_often_one_looks() -> None:
    rng = np.random.default_rng(11)
    simulations, rows, look_every = 300, 1_200, 100
    decided_winners = peeking_winners = 0
    for _ in range(simulations):
        a = (rng.random(rows) < 0.85).astype(float)
        b = (rng.random(rows) < 0.85).astype(float)
        verdicts = []
        for visible in range(look_every, rows + 1, look_every):
            result = compare(Task.CLASSIFICATION, "A", "B", prefix(a, visible), prefix(b, visible))
            if result["decided"]:
                verdicts.append((result["winner"], result["p_value"]))
        assert verdicts, "1,200 rows per arm reach the required size for 5 points of accuracy"
        assert len(set(verdicts)) == 1  # once decided, later looks change nothing
        decided_winners += verdicts[0][0] is not None
        looks = [
            two_proportion_ztest(a[:k].sum(), k, b[:k].sum(), k)[1]
            for k in range(look_every, rows + 1, look_every)
        ]
        peeking_winners += any(p < 0.05 for p in looks)
    assert decided_winners / simulations <= 0.085
    assert peeking_winners / simulations > 0.1  # what stopping at the first p < 0.05 does


def test_a_real_difference_is_called_for_the_better_arm() -> None:
    rng = np.random.default_rng(5)
    winners = []
    for _ in range(50):
        a = (rng.random(1_000) < 0.80).astype(float)
        b = (rng.random(1_000) < 0.90).astype(float)
        winners.append(compare(Task.CLASSIFICATION, "A", "B", prefix(a), prefix(b))["winner"])
    assert winners.count("B") >= 45
    assert "A" not in winners


def test_before_the_required_size_it_says_how_much_traffic_is_still_needed() -> None:
    a, b = np.ones(60), np.r_[np.ones(50), np.zeros(10)]
    result = compare(Task.CLASSIFICATION, "A", "B", prefix(a), prefix(b), min_effect=0.05)
    assert not result["decided"]
    assert result["winner"] is None
    assert result["required_n"] >= PILOT_ROWS
    assert result["traffic_still_needed"] == 2 * result["required_n"] - 120
    assert result["message"].startswith("not yet conclusive")


def labelled_rows(
    endpoint_id: int, variant: str, scores: np.ndarray, *, start_ms: int, shadow: bool = False
) -> list[dict[str, object]]:
    return [
        {
            "endpoint_id": endpoint_id,
            "request_id": f"{variant}-{start_ms}-{index}",
            "variant": variant,
            "shadow": shadow,
            "prediction": [1],
            "rows": 1,
            "created_at": start_ms + index,
            "label": 1,
            "labelled_at": start_ms + index,
            "score_sum": float(score),
            "score_sq_sum": float(score * score),
        }
        for index, score in enumerate(scores)
    ]


def test_the_store_decides_on_the_first_labelled_rows_of_each_variant(database: Database) -> None:
    endpoint_id = insert_endpoint(database)
    rng = np.random.default_rng(2)
    a = (rng.random(1_500) < 0.80).astype(float)
    b = (rng.random(1_500) < 0.88).astype(float)
    shadow = (rng.random(300) < 0.5).astype(float)
    with database.session(write=True) as session:
        session.execute(
            insert(SqlEndpointPrediction),
            labelled_rows(endpoint_id, "A", a, start_ms=10_000)
            + labelled_rows(endpoint_id, "B", b, start_ms=10_000)
            + labelled_rows(endpoint_id, "S", shadow, start_ms=10_000, shadow=True)
            + labelled_rows(endpoint_id, "A", np.zeros(500), start_ms=1_000),  # before `since`
        )
    result = online_evaluation(database, endpoint_id, Task.CLASSIFICATION, since_ms=5_000)
    assert result["metric"] == "accuracy"
    assert result["variants"]["A"] == {
        "n": 1_500,
        "value": pytest.approx(a.mean()),
        "shadow": False,
    }
    assert result["variants"]["S"]["shadow"] is True
    by_challenger = {c["challenger"]: c for c in result["comparisons"]}
    assert set(by_challenger) == {"B", "S"}
    versus_b = by_challenger["B"]
    expected = compare(Task.CLASSIFICATION, "A", "B", prefix(a), prefix(b))
    assert versus_b == expected
    assert versus_b["decided"]
    assert versus_b["winner"] == "B"
    required = versus_b["required_n"]
    _, p_first = two_proportion_ztest(a[:required].sum(), required, b[:required].sum(), required)
    assert versus_b["p_value"] == pytest.approx(p_first)
    assert versus_b["message"].startswith("B beats A (p = ")
    assert not by_challenger["S"]["decided"]  # 300 shadow rows are not enough


def test_a_regression_is_compared_on_mean_absolute_error(database: Database) -> None:
    endpoint_id = insert_endpoint(database)
    rng = np.random.default_rng(4)
    a, b = np.abs(rng.normal(0, 1.0, 2_000)), np.abs(rng.normal(0, 0.8, 2_000))
    with database.session(write=True) as session:
        session.execute(
            insert(SqlEndpointPrediction),
            labelled_rows(endpoint_id, "A", a, start_ms=0)
            + labelled_rows(endpoint_id, "B", b, start_ms=0),
        )
    result = online_evaluation(database, endpoint_id, Task.REGRESSION, since_ms=0)
    assert result["metric"] == "mae"
    assert result["variants"]["B"]["value"] == pytest.approx(b.mean())
    (comparison,) = result["comparisons"]
    assert comparison["test"] == "Welch t"
    assert comparison["decided"]
    required = comparison["required_n"]
    reference = stats.ttest_ind(b[:required], a[:required], equal_var=False)
    assert comparison["p_value"] == pytest.approx(reference.pvalue, rel=1e-6)
    assert comparison["winner"] == "B"  # the lower error


def test_no_task_no_evaluation(database: Database) -> None:
    endpoint_id = insert_endpoint(database)
    assert online_evaluation(database, endpoint_id, None, since_ms=0) == {
        "task": None,
        "metric": None,
        "variants": {},
        "comparisons": [],
    }
