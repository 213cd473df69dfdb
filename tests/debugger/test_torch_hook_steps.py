"""TorchHook: when it saves (every=N, explicit steps, per mode and collection, auto), that a
record is read one saved step later with no host synchronisation in the steps, and the steps
AMP's gradient scaler skips."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

from studio.debugger.schedule import LONGEST, Schedule  # noqa: E402
from studio.debugger.torch_hook import TorchHook  # noqa: E402

from .torch_training import batch, plain_step, train  # noqa: E402


def saved(sink: Any, collection: str, mode: str = "train") -> list[int]:
    return [r.step for r in sink.records if r.mode == mode and any(r.in_collection(collection))]


def test_every_n_explicit_steps_and_a_mapping_per_mode_and_collection() -> None:
    _, sink = train(7, every=3, collections=["losses"])
    assert saved(sink, "losses") == [0, 3, 6]
    _, sink = train(7, every=[1, 2, 5], collections=["losses"])
    assert saved(sink, "losses") == [1, 2, 5]
    every = {"gradients": 2, "weights": [3], "train": {"losses": 4}}
    _, sink = train(7, every=every, collections=["gradients", "weights", "losses"])
    assert saved(sink, "gradients") == [0, 2, 4, 6]
    assert saved(sink, "weights") == [3]
    assert saved(sink, "losses") == [0, 4]
    schedule = Schedule({"train": 5, "eval": 1, "activations": 7})
    assert schedule.due("train", 10, frozenset({"losses", "activations"})) == {
        "losses",
        "activations",
    }
    assert schedule.due("eval", 3, frozenset({"losses", "activations"})) == {
        "losses",
        "activations",
    }
    assert "activations" in schedule.due("predict", 7, frozenset({"activations"}))
    assert "activations" not in schedule.due("predict", 8, frozenset({"activations"}))
    # "auto" saves the losses of every evaluation.
    auto = Schedule()
    auto.autos["eval"].saved(0)  # next at step 10
    assert auto.due("eval", 7, frozenset({"losses", "activations"})) == {"losses"}
    with pytest.raises(ValueError, match="unknown keys"):
        Schedule({"gradient": 3})
    with pytest.raises(ValueError, match="positive"):
        Schedule(0)


def test_auto_measures_a_collection_and_picks_an_interval_within_bounds() -> None:
    hook, sink = train(40, every="auto", collections=["weights", "biases", "gradients", "losses"])
    auto = hook.schedule.autos["train"]
    assert 1 <= auto.interval <= LONGEST
    steps = saved(sink, "gradients")
    assert steps[:2] == [0, 10]  # the first, then the provisional interval, measuring both
    assert all(1 <= gap <= LONGEST for gap in np.diff(steps))
    assert len(steps) < 40


def test_auto_keeps_under_three_percent_of_the_measured_step() -> None:
    auto = Schedule().autos["train"]
    for step in range(12):
        due = auto.due(step)
        # A plain step of 10 ms, a collection of 4 ms: 4 / (0.02 * 10) = 20 steps, where the
        # collections cost 2% of the time, the target that keeps the whole under 3%.
        auto.observe(step, 0.014 if due else 0.010, 0.004 if due else 0.0, due)
    assert auto.interval == 20
    due = [s for s in range(12, 60) if auto.due(s) and not auto.observe(s, 0.014, 0.004, True)]
    assert due == [30, 50]


def test_a_record_is_read_one_saved_step_later_without_a_host_sync_in_the_steps(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: Counter[str] = Counter()
    for method in ("item", "cpu", "tolist", "__float__", "__int__", "__bool__"):
        original = getattr(torch.Tensor, method)

        def counted(self: Any, *args: Any, _name: str = method, _original: Any = original) -> Any:
            calls[_name] += 1
            return _original(self, *args)

        monkeypatch.setattr(torch.Tensor, method, counted)

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        inputs, labels = batch(i)
        logits = model(inputs)
        loss = nn.functional.cross_entropy(logits, labels)
        hook.record_loss(loss)
        hook.record_batch(inputs, labels, logits)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    def plain(steps: int) -> Counter[str]:
        calls.clear()
        model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        for i in range(steps):
            inputs, labels = batch(i)
            loss = nn.functional.cross_entropy(model(inputs), labels)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        return Counter(calls)

    baseline = plain(10)
    calls.clear()
    _, sink = train(10, step, every=4, collections=None, histograms=True, rules=None)
    training_calls = Counter(calls)
    assert training_calls == baseline  # the hook adds no .item(), .cpu(), bool(tensor), ...
    assert saved(sink, "activations") == [0, 4, 8]


def test_records_reach_the_session_one_saved_step_late() -> None:
    arrivals: list[tuple[int, int]] = []

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        if i == 0:
            hook.session.listeners.append(
                lambda session, record, found: arrivals.append((record.step, hook.step_of()))
            )
        plain_step(hook, model, optimizer, i)

    train(8, step, every=3, collections=["gradients"])
    # Step 0's record arrives at the end of step 3, 3's at 6's; 6's at close (step 8 then).
    assert arrivals == [(0, 3), (3, 6), (6, 8)]


def test_a_step_the_gradient_scaler_skips_is_recorded_with_its_gradients() -> None:
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    from .torch_training import MemorySink

    sink = MemorySink()
    with TorchHook(
        model, optimizer, every=[2], collections=["gradients"], rules=None, scaler=scaler, sink=sink
    ) as hook:
        for i in range(4):
            inputs, labels = batch(i)
            loss = nn.functional.cross_entropy(model(inputs), labels)
            if i == 1:
                loss = loss * float("inf")  # a non-finite gradient: the scaler skips this step
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            optimizer.zero_grad()
            assert hook.step_of() == i + 1
    assert scaler.step.__func__ is type(scaler).step  # unwrapped at close
    by_step = {r.step: r for r in sink.records}
    assert sorted(by_step) == [1, 2]
    skipped = by_step[1]
    assert skipped.scalars == {"skipped": 1.0}
    assert skipped.column("nan").sum() + skipped.column("inf").sum() > 0
    assert by_step[2].scalars == {}
    # Unscaled: the gradients recorded at step 2 are the ones the optimizer used.
    assert by_step[2].stat("gradients/0.weight", "l2") < 10


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_cuda_no_step_synchronises_the_host() -> None:
    device = torch.device("cuda")
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3), nn.Sigmoid()).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    from .torch_training import MemorySink

    sink = MemorySink()
    data = [tuple(t.to(device) for t in batch(i)) for i in range(8)]

    def step(hook: TorchHook, i: int) -> None:
        inputs, labels = data[i]
        logits = model(inputs)
        loss = nn.functional.cross_entropy(logits, labels)
        hook.record_loss(loss)
        hook.record_batch(inputs, labels, logits)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()

    with TorchHook(
        model, optimizer, every=2, rules=None, sink=sink, histograms=True, flight_recorder=2
    ) as hook:
        step(hook, 0)  # warm-up: workspaces and pinned buffers are allocated here
        step(hook, 1)
        torch.cuda.synchronize()
        torch.cuda.set_sync_debug_mode("error")
        try:
            for i in range(2, 8):
                step(hook, i)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    assert sink.steps() == [0, 2, 4, 6]
    record = sink.records[-1]
    assert record.vectors["activations/3"]["saturated"].shape == (3,)
    assert record.vectors["labels"]["count"].sum() == 16
    weight = model[0].weight.detach().cpu().numpy()
    assert record.stat("weights/0.weight", "count") == weight.size
