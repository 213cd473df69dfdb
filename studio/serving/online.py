"""Online evaluation: which variant does better on labelled live traffic, and is it significant.

Each labelled prediction row carries Σ score and Σ score² over its rows (rows right for a
classification, absolute errors for a regression), so a variant's moments are SQL sums and the
tests need nothing else: a pooled two-proportion z-test for accuracy, Welch's t from moments
for the mean absolute error (scipy's `ttest_ind_from_stats`, equal to `ttest_ind` on the raw
errors).

Looking at a p-value as traffic arrives and stopping at the first one below alpha finds a
winner between identical models about a third of the time (testing every 100 requests up to
4,000). So the verdict is decided once, on a sample fixed in advance: the required size per
arm comes from a declared minimum effect (5 points of accuracy, or 10% of the mean absolute
error, by default) and the baseline measured on the first `PILOT_ROWS` labelled rows of each
arm; the test runs on the first `required_n` labelled rows of each arm in labelled order, and
whatever arrives later cannot change it. Until then the live p-value is shown as not yet
conclusive, with the labelled traffic still needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from scipy import stats  # type: ignore[import-untyped]
from sqlalchemy import func, select

from studio.errors import InvalidInput
from studio.serving.entities import Task
from studio.serving.orm import SqlEndpointPrediction

if TYPE_CHECKING:
    from studio.db.engine import Database

__all__ = [
    "DEFAULT_MIN_EFFECT",
    "PILOT_ROWS",
    "Moments",
    "compare",
    "n_per_arm_means",
    "n_per_arm_proportions",
    "online_evaluation",
    "two_proportion_ztest",
    "welch_from_moments",
]

PILOT_ROWS = 100
"""Labelled rows per arm whose baseline fixes the required sample size."""

DEFAULT_MIN_EFFECT = {Task.CLASSIFICATION: 0.05, Task.REGRESSION: 0.10}
"""The smallest difference worth detecting: absolute accuracy, or relative mean absolute error."""

_P = SqlEndpointPrediction


@dataclass(frozen=True)
class Moments:
    """Rows labelled, Σ score and Σ score² of one arm (or of a prefix of it)."""

    n: float
    total: float
    total_sq: float

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else math.nan

    @property
    def variance(self) -> float:
        if self.n < 2:
            return math.nan
        return max(0.0, (self.total_sq - self.total * self.total / self.n) / (self.n - 1))

    def __add__(self, other: Moments) -> Moments:
        return Moments(self.n + other.n, self.total + other.total, self.total_sq + other.total_sq)


Prefix = Callable[[int | None], Moments]
"""An arm's moments over its first k labelled rows in labelled order (None: all of them)."""


def two_proportion_ztest(
    success_a: float, n_a: float, success_b: float, n_b: float
) -> tuple[float, float]:
    """Pooled two-sided z-test of equal proportions; z > 0 when B's is higher. NaN when an
    arm is empty or both are all right (or all wrong): no evidence either way."""
    if min(n_a, n_b) <= 0:
        return math.nan, math.nan
    pooled = (success_a + success_b) / (n_a + n_b)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    if se == 0:
        return math.nan, math.nan
    z = (success_b / n_b - success_a / n_a) / se
    return z, float(2 * stats.norm.sf(abs(z)))


def n_per_arm_proportions(p_a: float, p_b: float, alpha: float = 0.05, power: float = 0.8) -> float:
    """Rows per arm to tell p_a from p_b, two-sided (normal approximation, no continuity
    correction); inf when they are equal."""
    if p_a == p_b:
        return math.inf
    z_alpha, z_beta = stats.norm.isf(alpha / 2), stats.norm.isf(1 - power)
    pooled = (p_a + p_b) / 2
    root = z_alpha * math.sqrt(2 * pooled * (1 - pooled)) + z_beta * math.sqrt(
        p_a * (1 - p_a) + p_b * (1 - p_b)
    )
    return float(math.ceil(root**2 / (p_a - p_b) ** 2))


def welch_from_moments(a: Moments, b: Moments) -> tuple[float, float]:
    """Welch's t-test of equal means from each arm's moments; t > 0 when B's mean is higher.
    NaN with fewer than 2 rows per arm or no variance in either."""
    if min(a.n, b.n) < 2 or (a.variance == 0 and b.variance == 0):
        return math.nan, math.nan
    result = stats.ttest_ind_from_stats(
        b.mean, math.sqrt(b.variance), b.n, a.mean, math.sqrt(a.variance), a.n, equal_var=False
    )
    return float(result.statistic), float(result.pvalue)


def n_per_arm_means(
    sd_a: float, sd_b: float, delta: float, alpha: float = 0.05, power: float = 0.8
) -> float:
    """Rows per arm to detect a difference `delta` in means (normal approximation)."""
    if delta == 0:
        return math.inf
    z_alpha, z_beta = stats.norm.isf(alpha / 2), stats.norm.isf(1 - power)
    return float(math.ceil((z_alpha + z_beta) ** 2 * (sd_a**2 + sd_b**2) / delta**2))


def required_rows(
    task: Task, baseline: Moments, *, alpha: float, power: float, min_effect: float
) -> int | None:
    """Rows per arm to detect `min_effect` around `baseline` (both arms' pilot, pooled);
    None when it cannot be known (no data, or a regression with no error at all)."""
    if baseline.n == 0:
        return None
    if task is Task.CLASSIFICATION:
        rate = baseline.mean
        other = rate + min_effect if rate + min_effect < 1 else rate - min_effect
        needed = n_per_arm_proportions(rate, min(max(other, 0.0), 1.0), alpha, power)
    else:
        spread = math.sqrt(baseline.variance) if baseline.n >= 2 else math.nan
        needed = n_per_arm_means(spread, spread, min_effect * baseline.mean, alpha, power)
    if not math.isfinite(needed):
        return None
    return max(int(needed), PILOT_ROWS)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def compare(
    task: Task,
    control: str,
    challenger: str,
    first_control: Prefix,
    first_challenger: Prefix,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    min_effect: float | None = None,
) -> dict[str, Any]:
    """The comparison of two arms, decided once both reach the required size (see above)."""
    effect = DEFAULT_MIN_EFFECT[task] if min_effect is None else min_effect
    all_a, all_b = first_control(None), first_challenger(None)
    piloted = all_a.n >= PILOT_ROWS and all_b.n >= PILOT_ROWS
    baseline = (
        first_control(PILOT_ROWS) + first_challenger(PILOT_ROWS) if piloted else all_a + all_b
    )
    required = required_rows(task, baseline, alpha=alpha, power=power, min_effect=effect)
    decided = piloted and required is not None and min(all_a.n, all_b.n) >= required
    a, b = (first_control(required), first_challenger(required)) if decided else (all_a, all_b)
    if task is Task.CLASSIFICATION:
        _, p_value = two_proportion_ztest(a.total, a.n, b.total, b.n)
    else:
        _, p_value = welch_from_moments(a, b)
    significant = decided and math.isfinite(p_value) and p_value < alpha
    higher_is_better = task is Task.CLASSIFICATION
    winner = None
    if significant:
        winner = challenger if (b.mean > a.mean) == higher_is_better else control
    still_needed = (
        None
        if required is None
        else int(max(0.0, required - all_a.n) + max(0.0, required - all_b.n))
    )
    p_text = "n/a" if not math.isfinite(p_value) else f"{p_value:.3g}"
    if winner is not None:
        loser = control if winner == challenger else challenger
        message = f"{winner} beats {loser} (p = {p_text})"
    elif decided:
        message = (
            f"no significant difference between {challenger} and {control} "
            f"(p = {p_text}, decided on the first {required:,} labelled rows of each)"
        )
    elif still_needed is None:
        message = "not yet conclusive: no difference to measure yet"
    else:
        message = (
            f"not yet conclusive (p = {p_text} so far): ~{still_needed:,} more labelled requests"
        )
    return {
        "control": control,
        "challenger": challenger,
        "test": "two-proportion z" if task is Task.CLASSIFICATION else "Welch t",
        "p_value": _finite(p_value),
        "required_n": required,
        "traffic_still_needed": still_needed,
        "significant": significant,
        "decided": decided,
        "winner": winner,
        "message": message,
    }


def _labelled(endpoint_id: int, since_ms: int) -> list[Any]:
    return [
        _P.endpoint_id == endpoint_id,
        _P.labelled_at.is_not(None),
        _P.created_at >= since_ms,
    ]


def _prefix(database: Database, endpoint_id: int, variant: str, since_ms: int) -> Prefix:
    @cache
    def first(limit: int | None) -> Moments:
        if limit is None:
            columns = select(
                func.coalesce(func.sum(_P.rows), 0),
                func.coalesce(func.sum(_P.score_sum), 0.0),
                func.coalesce(func.sum(_P.score_sq_sum), 0.0),
            ).where(*_labelled(endpoint_id, since_ms), _P.variant == variant)
        else:
            ordered = (
                select(
                    _P.rows,
                    _P.score_sum,
                    _P.score_sq_sum,
                    func.sum(_P.rows)
                    .over(order_by=(_P.labelled_at, _P.request_id), rows=(None, 0))
                    .label("upto"),
                )
                .where(*_labelled(endpoint_id, since_ms), _P.variant == variant)
                .subquery()
            )
            columns = select(
                func.coalesce(func.sum(ordered.c.rows), 0),
                func.coalesce(func.sum(ordered.c.score_sum), 0.0),
                func.coalesce(func.sum(ordered.c.score_sq_sum), 0.0),
            ).where(ordered.c.upto - ordered.c.rows < limit)
        with database.session() as session:
            n, total, total_sq = session.execute(columns).one()
        return Moments(float(n or 0), float(total or 0), float(total_sq or 0))

    return first


def online_evaluation(
    database: Database,
    endpoint_id: int,
    task: Task | None,
    *,
    since_ms: int,
    alpha: float = 0.05,
    power: float = 0.8,
    min_effect: float | None = None,
    control: str | None = None,
) -> dict[str, Any]:
    """Per-variant online metric since `since_ms` (the endpoint's `evaluation_since`), and
    each other variant compared with the control (by default the first primary by name)."""
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise InvalidInput("alpha and power must lie strictly between 0 and 1.")
    if min_effect is not None and not 0 < min_effect < 1:
        raise InvalidInput("The minimum effect must lie strictly between 0 and 1.")
    metric = None if task is None else "accuracy" if task is Task.CLASSIFICATION else "mae"
    result: dict[str, Any] = {"task": task.value if task else None, "metric": metric}
    if task is None:
        return {**result, "variants": {}, "comparisons": []}
    with database.session() as session:
        sums = session.execute(
            select(_P.variant, _P.shadow, func.sum(_P.rows), func.sum(_P.score_sum))
            .where(*_labelled(endpoint_id, since_ms))
            .group_by(_P.variant, _P.shadow)
            .order_by(_P.variant)
        ).all()
    variants: dict[str, dict[str, Any]] = {}
    for name, shadow, n, total in sums:
        found = variants.setdefault(name, {"n": 0, "total": 0.0, "shadow": bool(shadow)})
        found["n"] += int(n)
        found["total"] += float(total or 0)
    for found in variants.values():
        found["value"] = found.pop("total") / found["n"] if found["n"] else None
    primaries = [name for name, found in variants.items() if not found["shadow"]]
    chosen = control if control in variants else (primaries[0] if primaries else None)
    comparisons = []
    if chosen is not None:
        first_control = _prefix(database, endpoint_id, chosen, since_ms)
        for name in variants:
            if name != chosen:
                comparisons.append(
                    compare(
                        task,
                        chosen,
                        name,
                        first_control,
                        _prefix(database, endpoint_id, name, since_ms),
                        alpha=alpha,
                        power=power,
                        min_effect=min_effect,
                    )
                )
    return {**result, "variants": variants, "comparisons": comparisons}
