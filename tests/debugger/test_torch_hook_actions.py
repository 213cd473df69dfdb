"""TorchHook: the actions of firing rules (stop training, flight recordings as run artifacts),
and the hook's imports on a machine with torch and numpy alone."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import studio
from studio.debugger.rules.base import Rule

torch = pytest.importorskip("torch")
nn = torch.nn

from studio.debugger.flight import ARTIFACT_FOLDER  # noqa: E402
from studio.debugger.rules import ExplodingTensor  # noqa: E402
from studio.debugger.session import StopTraining  # noqa: E402
from studio.debugger.torch_hook import TorchHook  # noqa: E402

from ..tracking.logging_store import tracking_store  # noqa: E402
from .torch_training import batch, mlp, plain_step, train  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Sequence

    from studio.debugger.entities import Finding
    from studio.debugger.record import StepRecord


class FiresAt(Rule):
    """Fires at one step: a planted finding."""

    collections = ("losses",)

    def __init__(self, step: int, **options: Any) -> None:
        super().__init__(step=step, **options)
        self.step = step

    def observe(self, record: StepRecord) -> Sequence[Finding]:
        if record.step == self.step:
            return [self.finding(record, ("losses/loss",), f"planted at step {self.step}")]
        return []


def test_a_stopping_rule_raises_stop_training_at_the_next_step_boundary() -> None:
    reached: list[int] = []

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        reached.append(i)
        plain_step(hook, model, optimizer, i)

    with pytest.raises(StopTraining, match="FiresAt at step 2") as stopped:
        train(10, step, every=1, rules=[FiresAt(2, actions="stop")])
    # Step 2's record is read at the end of step 3, whose optimizer.step() raises.
    assert reached == [0, 1, 2, 3]
    assert [f.step for f in stopped.value.findings] == [2]


def test_a_plain_loop_checks_should_stop() -> None:
    model = mlp()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    rules = [FiresAt(1, actions="stop")]
    with TorchHook(model, optimizer, every=1, rules=rules, raise_on_stop=False) as hook:
        for i in range(10):
            plain_step(hook, model, optimizer, i)
            if hook.should_stop:
                break
    assert i == 2
    assert [f.rule for f in hook.findings] == ["FiresAt"]


def test_the_flight_recorder_writes_the_last_steps_as_artifacts_when_a_record_rule_fires(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gradients: dict[int, np.ndarray] = {}

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        inputs, labels = batch(i)
        loss = nn.functional.cross_entropy(model(inputs), labels)
        hook.record_loss(loss)
        loss.backward()
        gradients[i] = model[0].weight.grad.numpy().copy()
        optimizer.step()
        optimizer.zero_grad()

    with tracking_store(database_url, tmp_path / "home", monkeypatch) as uri:
        client = studio.Client(uri)
        with studio.start_run(name="quiet", tracking_uri=uri) as quiet:
            train(
                6,
                step,
                every=1,
                run=quiet,
                flight_recorder=3,
                rules=[FiresAt(99, actions="record")],
            )
        assert client.list_artifacts(quiet.id) == []
        with studio.start_run(name="faulty", tracking_uri=uri) as faulty:
            hook, sink = train(
                6,
                step,
                every=2,
                run=faulty,
                flight_recorder=2,
                rules=[FiresAt(2, actions="record")],
                collections=["gradients", "losses"],
            )
        files = sorted(a.path for a in client.list_artifacts(faulty.id, ARTIFACT_FOLDER))
        # Step 2's record is read at step 4, when the recorder holds the saved steps 2 and 4.
        assert files == [
            f"{ARTIFACT_FOLDER}/train-step-2.npz",
            f"{ARTIFACT_FOLDER}/train-step-4.npz",
        ]
        folder = client.download_artifacts(faulty.id, ARTIFACT_FOLDER, tmp_path / "download")
        with np.load(folder / "train-step-2.npz") as recording:
            np.testing.assert_array_equal(recording["gradients/0.weight"], gradients[2])
            assert set(recording.files) == set(sink.records[1].tensors)
    assert [f.step for f in hook.findings] == [2]


def test_without_a_run_the_recording_goes_to_a_temporary_folder() -> None:
    hook, _ = train(3, every=1, flight_recorder=5, collections=["weights"])
    assert hook.flight is not None
    paths = hook.flight.dump([])
    assert [Path(p).name for p in paths] == [f"train-step-{i}.npz" for i in range(3)]


def test_the_hook_and_the_rules_import_with_torch_and_numpy_alone() -> None:
    code = (
        "import sys, torch\n"
        "from studio.debugger import TorchHook, StopTraining, Rule, rules\n"
        "model = torch.nn.Linear(3, 2)\n"
        "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)\n"
        "with TorchHook(model, optimizer, every=1, flight_recorder=1) as hook:\n"
        "    for _ in range(2):\n"
        "        model(torch.randn(4, 3)).sum().backward()\n"
        "        optimizer.step()\n"
        "rules.default_rules()\n"
        "assert hook.session.records == 2\n"
        "heavy = ('sqlalchemy', 'tornado', 'pydantic', 'pandas', 'jupyter_server', 'alembic')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


class Overflow(nn.Module):
    """Multiplies its input past float32's range: its output is the first non-finite one."""

    def forward(self, x: Any) -> Any:
        return x * 1e30 * 1e30


def test_exploding_tensor_names_the_first_module_whose_output_turned_non_finite() -> None:
    # Registered out of forward order: the order the rule reads is the forward pass's.
    model = nn.Sequential()
    model.add_module("head", nn.Linear(8, 3))
    model.add_module("relu", nn.ReLU())
    model.add_module("overflow", Overflow())
    model.add_module("body", nn.Linear(6, 8))

    def step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        inputs, labels = batch(i)
        logits = model.head(model.relu(model.overflow(model.body(inputs))))
        nn.functional.cross_entropy(logits, labels).backward()
        optimizer.step()

    hook, _ = train(2, step, model=model, every=1, rules=[ExplodingTensor()])
    (finding, *_) = hook.findings
    assert finding.step == 0
    assert finding.values["first_module"] == "overflow"
    assert finding.tensors[0] == "activations/overflow"


def test_steps_between_saved_steps_keep_stalled_training_quiet() -> None:
    from studio.debugger.rules import StalledTraining

    def slow_step(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        time.sleep(0.2)
        plain_step(hook, model, optimizer, i)

    # Saved at step 0 alone: its record arrives at close, seconds after the threshold; the
    # steps in between are the training's heartbeat.
    hook, _ = train(8, slow_step, every=[0], rules=[StalledTraining(threshold=0.7)])
    assert hook.findings == []


def test_a_training_that_stops_stepping_fires_stalled_training() -> None:
    from studio.debugger.rules import StalledTraining

    def stall(hook: TorchHook, model: Any, optimizer: Any, i: int) -> None:
        plain_step(hook, model, optimizer, i)
        if i == 1:
            time.sleep(1.5)

    hook, _ = train(3, stall, every=[0], rules=[StalledTraining(threshold=0.5)])
    assert [finding.rule for finding in hook.findings] == ["StalledTraining"]
