"""TorchHook: which tensors it saves, with which values (checked against numpy on copies of the
same tensors), and the vector summaries the rules need."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from studio.debugger.stats import Bins, numpy_histograms, numpy_stats

torch = pytest.importorskip("torch")
nn = torch.nn

from studio.debugger.torch_hook import TorchHook  # noqa: E402

from .torch_training import batch, mlp, train  # noqa: E402

PARAMETERS = ["weights", "biases", "gradients", "losses"]


def test_weights_biases_gradients_and_losses_are_the_statistics_of_the_tensors_at_the_step() -> (
    None
):
    seen: dict[int, dict[str, np.ndarray]] = {}

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        inputs, labels = batch(i)
        loss = nn.functional.cross_entropy(model(inputs), labels)
        hook.record_loss(loss)
        loss.backward()
        kept = seen[i] = {"losses/loss": loss.detach().numpy().copy()}
        for name, p in model.named_parameters():
            kind = "biases" if name.endswith("bias") else "weights"
            kept[f"{kind}/{name}"] = p.detach().numpy().copy()
            kept[f"gradients/{name}"] = p.grad.numpy().copy()
        optimizer.step()
        optimizer.zero_grad()

    _, sink = train(5, step, every=2, collections=PARAMETERS, histograms=Bins(-0.5, 0.5, 8))
    assert sink.steps() == [0, 2, 4]
    for record in sink.records:
        want = seen[record.step]
        assert set(record.tensors) == set(want)
        arrays = [want[name] for name in record.tensors]
        np.testing.assert_allclose(record.stats, numpy_stats(arrays), rtol=1e-5, atol=1e-7)
        counts = numpy_histograms(arrays, Bins(-0.5, 0.5, 8))
        for name, row in zip(record.tensors, counts, strict=True):
            np.testing.assert_array_equal(record.histograms[name][1], row)
            np.testing.assert_array_equal(record.histograms[name][0], Bins(-0.5, 0.5, 8).edges)
    assert sink.closed


def test_activations_come_in_forward_order_with_active_and_saturated_units() -> None:
    # Registered out of forward order, so that the order can only come from the forward pass.
    model = nn.Sequential()
    model.add_module("head", nn.Linear(4, 3))
    model.add_module("tanh", nn.Tanh())
    model.add_module("relu", nn.ReLU())
    model.add_module("sigmoid", nn.Sigmoid())
    model.add_module("body", nn.Linear(6, 4))
    outputs: dict[str, np.ndarray] = {}
    inputs: dict[str, np.ndarray] = {}

    def keep(name: str) -> Any:
        def hook(module: Any, args: Any, out: Any) -> None:
            inputs[name] = args[0].detach().numpy().copy()
            outputs[name] = out.detach().numpy().copy()

        return hook

    for name in ("body", "relu", "sigmoid", "tanh", "head"):
        getattr(model, name).register_forward_hook(keep(name))

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        x = model.body(batch(i, size=64)[0])
        # Inputs spread wide enough that some units saturate (|x| > 9.4999 for tanh; x < -23
        # or x > 17 for the sigmoid) in part of the batch.
        x = model.tanh(model.sigmoid(model.relu(x) * 40 - 20) * 30 - 15)
        model.head(x).sum().backward()
        optimizer.step()
        optimizer.zero_grad()

    _, sink = train(1, step, model=model, collections=["activations"], every=1)
    (record,) = sink.records
    order = ["body", "relu", "sigmoid", "tanh", "head"]
    assert record.tensors == tuple(f"activations/{name}" for name in order)
    np.testing.assert_allclose(
        record.stats, numpy_stats([outputs[n] for n in order]), rtol=1e-5, atol=1e-6
    )
    vectors = record.vectors
    np.testing.assert_allclose(vectors["activations/relu"]["active"], (outputs["relu"] > 0).mean(0))
    sigmoid = inputs["sigmoid"]
    saturated = ((sigmoid < -23.0) | (sigmoid > 16.99999)).mean(0)
    np.testing.assert_allclose(vectors["activations/sigmoid"]["saturated"], saturated)
    tanh = inputs["tanh"]
    saturated = (abs(tanh) > 9.4999).mean(0)
    np.testing.assert_allclose(vectors["activations/tanh"]["saturated"], saturated)
    for name in ("sigmoid", "tanh"):
        assert vectors[f"activations/{name}"]["saturated"].max() > 0
        assert vectors[f"activations/{name}"]["saturated"].min() < 1
    assert "activations/body" not in vectors


def test_updates_are_the_weight_after_the_step_minus_before() -> None:
    before: dict[int, dict[str, np.ndarray]] = {}

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        inputs, labels = batch(i)
        nn.functional.cross_entropy(model(inputs), labels).backward()
        before[i] = {n: p.detach().numpy().copy() for n, p in model.named_parameters()}
        optimizer.step()
        optimizer.zero_grad()
        after = {n: p.detach().numpy() for n, p in model.named_parameters()}
        before[i] = {n: after[n] - before[i][n] for n in after}

    model = mlp()
    model[0].bias.requires_grad_(False)  # frozen: no update to take
    _, sink = train(3, step, model=model, every=2, collections=["weights", "updates"])
    record = sink.records[-1]
    assert record.step == 2
    names = [n for n, p in model.named_parameters() if p.requires_grad]
    assert list(record.in_collection("updates")) == [f"updates/{n}" for n in names]
    np.testing.assert_allclose(
        record.stats[[record.tensors.index(f"updates/{n}") for n in names]],
        numpy_stats([before[2][n] for n in names]),
        rtol=1e-4,
        atol=1e-8,
    )
    # SGD with lr 0.1: the update is -0.1 times the gradient, so the ratio the rule reads is
    # l2(update) / l2(weight), a small number well above zero.
    ratio = record.stat("updates/0.weight", "l2") / record.stat("weights/0.weight", "l2")
    assert 0 < ratio < 1


def test_gradients_are_taken_after_clipping_and_accumulation() -> None:
    accumulated: dict[int, np.ndarray] = {}

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        for micro in range(2):
            inputs, labels = batch(10 * i + micro)
            loss = nn.functional.cross_entropy(model(inputs * 50), labels)
            loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
        accumulated[i] = model[0].weight.grad.numpy().copy()
        optimizer.step()
        optimizer.zero_grad()

    _, sink = train(2, step, every=1, collections=["gradients", "activations"])
    for record in sink.records:
        grads = list(record.in_collection("gradients"))
        total = np.sqrt(sum(record.stat(name, "l2") ** 2 for name in grads))
        assert total <= 0.5 + 1e-5
        want = numpy_stats([accumulated[record.step]])[0]
        np.testing.assert_allclose(
            record.stats[record.tensors.index("gradients/0.weight")], want, rtol=1e-5
        )
        # Two forward passes in the step: each activation is saved once.
        assert list(record.in_collection("activations")) == [
            "activations/0",
            "activations/1",
            "activations/2",
        ]


def test_include_and_exclude_choose_among_the_saved_names() -> None:
    _, sink = train(
        1, every=1, collections=PARAMETERS, include=[r"^gradients/", "loss"], exclude=r"\.bias$"
    )
    assert sink.records[0].tensors == ("losses/loss", "gradients/0.weight", "gradients/2.weight")


def test_labels_and_predictions_are_counted_per_class() -> None:
    seen = {}

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        inputs, labels = batch(i, size=64)
        logits = model(inputs)
        hook.record_batch(inputs=inputs, labels=labels, predictions=logits)
        seen[i] = (inputs.numpy().copy(), labels.numpy().copy(), logits.detach().numpy().copy())
        logits.sum().backward()
        optimizer.step()

    _, sink = train(1, step, every=1, collections=["inputs", "labels", "predictions"])
    (record,) = sink.records
    inputs, labels, logits = seen[0]
    assert record.tensors == ("inputs", "labels", "predictions")
    np.testing.assert_allclose(
        record.stats, numpy_stats([inputs, labels, logits]), rtol=1e-5, atol=1e-6
    )
    predicted = logits.argmax(1)
    np.testing.assert_array_equal(
        record.vectors["labels"]["count"], np.bincount(labels, minlength=3)
    )
    np.testing.assert_array_equal(
        record.vectors["predictions"]["count"], np.bincount(predicted, minlength=3)
    )
    correct = np.bincount(labels, weights=predicted == labels, minlength=3)
    np.testing.assert_array_equal(record.vectors["predictions"]["correct"], correct)


def test_eval_steps_end_at_each_forward_and_another_mode_s_losses_are_steps_of_their_own() -> None:
    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        hook.set_mode("train")
        inputs, labels = batch(i)
        loss = nn.functional.cross_entropy(model(inputs), labels)
        hook.record_loss(loss)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        hook.set_mode("eval")
        with torch.no_grad():
            for j in range(3):
                inputs, labels = batch(100 + j)
                hook.record_loss(nn.functional.cross_entropy(model(inputs), labels))
        hook.record_loss(torch.tensor(float(i)), mode="predict")

    _, sink = train(2, step, every=1, collections=["losses", "activations"])
    assert sink.steps("train") == [0, 1]
    assert sink.steps("eval") == [0, 1, 2, 3, 4, 5]
    assert sink.steps("predict") == [0, 1]
    predict = [r for r in sink.records if r.mode == "predict"]
    assert [r.stat("losses/loss", "mean") for r in predict] == [0.0, 1.0]
    assert predict[0].tensors == ("losses/loss",)
    evals = [r for r in sink.records if r.mode == "eval"]
    assert all(r.tensors[:3] == ("activations/0", "activations/1", "activations/2") for r in evals)


def test_a_loop_without_optimizer_ends_its_steps_with_hook_step() -> None:
    model = mlp()
    from .torch_training import MemorySink

    sink = MemorySink()
    with TorchHook(
        model, every=1, collections=["weights", "updates", "losses"], rules=None, sink=sink
    ) as hook:
        for i in range(3):
            inputs, labels = batch(i)
            loss = nn.functional.cross_entropy(model(inputs), labels)
            hook.record_loss(loss)
            loss.backward()
            with torch.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
                    p.grad = None
            hook.step()
    assert sink.steps() == [0, 1, 2]
    assert sink.records[0].stat("updates/0.weight", "l2") > 0


def test_modules_chooses_the_activations_by_name_or_module() -> None:
    model = mlp()
    _, sink = train(1, model=model, every=1, collections=["activations"], modules=["1", model[2]])
    assert sink.records[0].tensors == ("activations/1", "activations/2")
    with pytest.raises(ValueError, match="no module named 'fc9'"):
        TorchHook(mlp(), modules=["fc9"], rules=None)


def test_the_units_of_a_convolution_are_its_channels() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(2, 5, 3), nn.ReLU(), nn.Flatten(), nn.Linear(5 * 4 * 4, 3))
    outputs: list[np.ndarray] = []
    model[1].register_forward_hook(lambda m, a, out: outputs.append(out.detach().numpy().copy()))

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        model(torch.randn(8, 2, 6, 6)).sum().backward()
        optimizer.step()

    _, sink = train(1, step, model=model, every=1, collections=["activations"])
    active = sink.records[0].vectors["activations/1"]["active"]
    np.testing.assert_allclose(active, (outputs[0] > 0).mean(axis=(0, 2, 3)))
