"""`evaluate`: every built-in rule re-run on a stored run, stricter (it fires) and looser (it
stays quiet), its findings and state replacing the earlier ones of the same rule."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np
import pytest

from studio.db.engine import Database
from studio.debugger import evaluate, rules
from studio.debugger.entities import RuleStatus
from studio.debugger.evaluate import stored_records
from studio.debugger.service import DebuggerService
from studio.tracking.service import TrackingService
from studio.tracking.store import TrackingStore
from tests.databases import fresh_database
from tests.debugger.rules.stored import store_records
from tests.debugger.rules.synthetic import make_record

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord
    from studio.debugger.rules import Rule

START = 1_700_000_000_000


def _training() -> list[StepRecord]:
    """30 train steps and 3 evaluation passes of 2 eval steps, holding something for each
    rule to find under a stricter threshold than its default."""
    rng = np.random.default_rng(3)
    records = []
    weight = rng.normal(size=(8, 8))
    for step in range(30):
        relu1 = np.maximum(rng.normal(size=(32, 10)), 0)
        relu2 = np.maximum(rng.normal(scale=0.2, size=(32, 10)), 0)
        relu2[:, :6] = 0.0  # 6 of 10 units dead: 60% zeros
        if step == 25:
            relu1[0, 0] = np.inf
        update = rng.normal(scale=1e-3, size=(8, 8))
        weight = weight + update
        tensors = {
            "weights/fc1.weight": weight,
            "updates/fc1.weight": update,
            "weights/fc2.weight": np.linspace(1, 2, 16) * (1 + 1e-4 * step),
            "gradients/fc1.weight": rng.normal(scale=1e-4, size=(8, 8)),
            "activations/relu1": relu1,
            "activations/relu2": relu2,
            "losses/loss": np.array([1.0 - 0.0005 * step]),
        }
        vectors = {
            "activations/relu1": {"active": np.r_[np.zeros(4), np.full(6, 0.5)]},
            "activations/relu2": {"active": np.r_[np.zeros(6), np.full(4, 0.5)]},
            "activations/sig": {"saturated": np.r_[np.ones(6), np.zeros(4)]},
            "labels": {"count": [90.0, 10.0]},
            "predictions": {"count": [88.0, 12.0], "correct": [80.0, 8.0]},
        }
        gap = 120_000 if step >= 15 else 0  # two minutes without a step after step 14
        records.append(
            make_record(step, tensors, vectors=vectors, timestamp=START + step * 1000 + gap)
        )
        if step % 10 == 9:
            for i in range(2):
                eval_step = step // 10 * 2 + i
                loss = {"losses/loss": np.array([1.05 + 0.001 * step])}  # rising: overfit
                records.append(
                    make_record(
                        eval_step, loss, mode="eval", timestamp=START + step * 1000 + gap + 1
                    )
                )
    return records


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(tracking URI, run id) of the stored training."""
    folder = tmp_path_factory.mktemp("evaluate")
    with fresh_database(str(folder / "studio.db"), migrated=True) as url:
        database = Database(url)
        tracking = TrackingService(TrackingStore(database, str(folder / "artifacts")))
        run_id = tracking.create_run(tracking.create_experiment("debugged").id, name="run").id
        store_records(DebuggerService(database), tracking.series, run_id, _training())
        yield url, run_id
        database.dispose()


def strict_and_loose() -> list[tuple[Rule, Rule]]:
    """Each built-in rule stricter than its default, and looser (new instances: rules keep
    state)."""
    return [
        (rules.VanishingGradient(threshold=1e-3), rules.VanishingGradient()),
        (rules.ExplodingTensor(), rules.ExplodingTensor(only_nan=True)),
        (
            rules.PoorWeightInitialization(),
            rules.PoorWeightInitialization(threshold=100, distribution_range=1e-6),
        ),
        (
            rules.SaturatedActivation(threshold_layer=50),
            rules.SaturatedActivation(threshold_layer=70),
        ),
        (rules.DeadRelu(threshold_layer=30), rules.DeadRelu(threshold_layer=70)),
        (rules.LossNotDecreasing(diff_percent=1.0), rules.LossNotDecreasing()),
        (rules.Overfit(ratio_threshold=0.01), rules.Overfit()),
        (rules.Overtraining(patience_train=2), rules.Overtraining(patience_train=2, delta=1e-4)),
        (rules.TensorVariance(max_threshold=0.5), rules.TensorVariance(max_threshold=10)),
        (rules.UnchangedTensor(rtol=1e-2), rules.UnchangedTensor()),
        (rules.AllZero(threshold=50), rules.AllZero()),
        (rules.WeightUpdateRatio(small_threshold=1e-2), rules.WeightUpdateRatio()),
        (rules.ClassImbalance(threshold_imbalance=5), rules.ClassImbalance()),
        (rules.StalledTraining(threshold=60), rules.StalledTraining()),
    ]


def test_every_built_in_rule_is_re_run_here() -> None:
    assert {type(strict) for strict, _ in strict_and_loose()} == set(rules.BUILT_IN)


def test_a_stored_run_re_evaluated_fires_under_stricter_thresholds_only(
    stored: tuple[str, str],
) -> None:
    uri, run_id = stored
    strict, loose = zip(*strict_and_loose(), strict=True)
    found = evaluate(run_id, strict, tracking_uri=uri)
    silent = {rule.name for rule in strict} - {finding.rule for finding in found}
    assert not silent, f"{sorted(silent)} did not fire under stricter thresholds"
    assert all(finding.id is not None for finding in found)  # recorded
    service = DebuggerService(Database(uri))
    stored_ids = {f.id for f in service.get_findings(run_id)}
    assert {f.id for f in found} <= stored_ids
    noisy = evaluate(run_id, loose, tracking_uri=uri)
    assert noisy == [], f"{sorted({f.rule for f in noisy})} fired under looser thresholds"
    # The looser run replaced the findings and the states of the stricter one.
    assert not {f.rule for f in service.get_findings(run_id)} & {r.name for r in loose}
    states = {state.rule: state for state in service.get_rule_states(run_id)}
    for rule in loose:
        state = states[rule.name]
        assert (state.status, state.findings) == (RuleStatus.OK, 0), rule.name
        assert state.parameters == rule.parameters
    service.store.db.dispose()


def test_re_evaluation_keeps_the_other_rules_and_reads_back_what_was_stored(
    stored: tuple[str, str],
) -> None:
    uri, run_id = stored
    evaluate(run_id, [rules.AllZero(threshold=50)], tracking_uri=uri)
    [exploding] = evaluate(run_id, [rules.ExplodingTensor()], tracking_uri=uri)
    assert (exploding.step, exploding.values["first_module"]) == (25, "relu1")
    service = DebuggerService(Database(uri))
    assert {f.rule for f in service.get_findings(run_id)} >= {"AllZero", "ExplodingTensor"}
    service.store.db.dispose()
    database = Database(uri)
    records = stored_records(TrackingService(TrackingStore(database, "")).series, run_id)
    database.dispose()
    original = _training()
    assert [(r.mode, r.step) for r in records] == [(r.mode, r.step) for r in original]
    for back, written in zip(records, original, strict=True):
        assert sorted(back.tensors) == sorted(written.tensors)
        for tensor in written.tensors:
            np.testing.assert_array_equal(
                back.stats[back.tensors.index(tensor)],
                written.stats[written.tensors.index(tensor)],
            )
        assert back.vectors.keys() == written.vectors.keys()
        assert back.timestamp == written.timestamp
    assert records[0].vectors["labels"]["count"].tolist() == [90.0, 10.0]


def test_without_record_nothing_is_written(stored: tuple[str, str]) -> None:
    uri, run_id = stored
    service = DebuggerService(Database(uri))
    before = service.get_findings(run_id)
    rule = rules.DeadRelu(threshold_layer=10)
    found = evaluate(run_id, [rule], tracking_uri=uri, record=False)
    assert found == evaluate(run_id, [rule], tracking_uri=uri, record=False)  # rule unused
    assert found
    assert all(f.id is None for f in found)
    assert service.get_findings(run_id) == before
    service.store.db.dispose()
