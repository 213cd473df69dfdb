"""`TorchHook`: the debugger's PyTorch hook.

    with TorchHook(model, optimizer=optimizer, run=run) as hook:
        for inputs, labels in batches:
            loss = loss_fn(model(inputs), labels)
            hook.record_loss(loss)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

A training step is one `optimizer.step()`: the optimizer's step pre-hook takes the weights,
biases and gradients (after AMP unscaling, clipping and accumulation, which all happen before
it), and its post-hook the updates and the step's end. Without an optimizer, `hook.step()`
ends a training step. In the eval and predict modes (`hook.set_mode`) a step ends at the next
forward pass of the model, or at `hook.step()`. Steps are counted per mode, from 0.

Nothing here waits for the device: at a saved step every statistic is launched on the
tensors' device (`TensorStats`), gathered by `StepCapture`, copied to pinned host memory in
one non-blocking transfer at the step's end, and read into a `StepRecord` one interval later,
at the next saved step (or at `close()`), when it goes to the `DebugSession`: its rules, its
findings and the run's store. A rule with the "stop" action makes the next step boundary raise
`StopTraining`; `hook.should_stop` says so to a plain loop.

With AMP, pass the `GradScaler` (`scaler=`): a step it skips for non-finite gradients never
reaches the optimizer's hooks, so the hook wraps the scaler's `step` to record that step's
(unscaled) gradients all the same, with the scalar {"skipped": 1.0}.

Torch and numpy only: nothing of the server stack is imported.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from studio.debugger.capture import PendingRecord, StepCapture
from studio.debugger.clock import StepClock
from studio.debugger.entities import MODES
from studio.debugger.flight import FlightRecorder
from studio.debugger.schedule import Schedule, Spec
from studio.debugger.selection import Selection, activation_modules, collections_for
from studio.debugger.session import DebugSession, Sink
from studio.debugger.stats import Bins
from studio.debugger.torch_stats import TensorStats
from studio.debugger.vectors import activation_vectors, class_counts, output_tensor

if TYPE_CHECKING:
    from torch.utils.hooks import RemovableHandle

    from studio.debugger.entities import Finding
    from studio.debugger.rules.base import Rule

__all__ = ["TorchHook"]


def _now_ms() -> int:
    return int(time.time() * 1000)


class TorchHook:
    """Watches a PyTorch training (see the module).

    - `every`: "auto", N, a list of steps, or a mapping per mode and collection
      (`studio.debugger.schedule`).
    - `collections`, `include`, `exclude`: which tensors (`studio.debugger.selection`); by
      default what the rules need.
    - `rules`: "default", None, or a list of `Rule`s; `run`: a `studio.Run` to store into.
    - `histograms`: True (64 bins over [-1, 1]) or a `Bins`; `flight_recorder`: keep the last K
      saved steps' full tensors, written as run artifacts when a "record" rule fires.
    - `modules`: the modules whose outputs are the activations (names or modules; every leaf
      module by default); `scaler`: the `torch.amp.GradScaler`, so that the steps it skips are
      recorded too; `num_classes`: for label counts where no logits say it; `sink`: where the
      session keeps its records (by default the run's store, or nowhere without a run);
      `raise_on_stop=False`: a stopping rule only sets `should_stop`, for a loop to check;
      `display=False`: no live widget under the cell (nor printed findings in a terminal).
    """

    def __init__(
        self,
        model: nn.Module,
        optimizer: torch.optim.Optimizer | None = None,
        run: Any = None,
        every: Spec = "auto",
        collections: Sequence[str] | None = None,
        include: str | Sequence[str] | None = None,
        exclude: str | Sequence[str] | None = None,
        rules: str | Sequence[Rule] | None = "default",
        histograms: bool | Bins = False,
        flight_recorder: int = 0,
        modules: Sequence[str | nn.Module] | None = None,
        scaler: Any = None,
        *,
        num_classes: int | None = None,
        sink: Sink | None = None,
        raise_on_stop: bool = True,
        display: bool = True,
    ) -> None:
        self.model = model
        self.optimizer = optimizer
        # Everything that can refuse its arguments comes before the session, whose sink and
        # watchdog are threads.
        self.schedule = Schedule(every)
        self._activation_modules = activation_modules(model, modules)
        self.bins = Bins() if histograms is True else (histograms or None)
        if collections is not None:
            self.selection = Selection(collections, include, exclude)
        self.flight = FlightRecorder(flight_recorder, run) if flight_recorder else None
        self.session = DebugSession(
            run, rules, sink=sink, flight_recorder=self.flight, display=display
        )
        if collections is None:
            self.selection = Selection(collections_for(self.session.rules), include, exclude)
        self.num_classes = num_classes
        self.raise_on_stop = raise_on_stop
        self.mode = "train"
        self._computer = TensorStats()
        self._parameters = [(name, p) for name, p in model.named_parameters()]
        self._steps = dict.fromkeys(MODES, 0)
        self._dirty = dict.fromkeys(MODES, False)
        self._boundary = dict.fromkeys(MODES, time.perf_counter())
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        self._clocks = {mode: StepClock(self.schedule.autos[mode], device) for mode in MODES}
        self._hook_seconds = dict.fromkeys(MODES, 0.0)
        self._captures: dict[str, StepCapture] = {}
        self._due_now = {mode: self._schedule_due(mode) for mode in MODES}
        self._pending: list[PendingRecord] = []
        self._before: list[torch.Tensor] | None = None
        self._optimizer_steps = 0
        self._activation_handles: list[RemovableHandle] = []
        self._activations_for: tuple[str, int] | None = None
        self._closed = False
        self._handles: list[RemovableHandle] = []
        self._root_hook: RemovableHandle | None = None
        self._sync_root_hook()
        if optimizer is not None:
            self._handles.append(optimizer.register_step_pre_hook(self._on_optimizer_pre))
            self._handles.append(optimizer.register_step_post_hook(self._on_optimizer_post))
        self._scaler = scaler
        if scaler is not None:
            self._wrap_scaler(scaler)
        self._arm_activations(self.mode)

    # The public surface ---------------------------------------------------------------------

    def __enter__(self) -> TorchHook:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def should_stop(self) -> bool:
        """Whether a rule with the "stop" action has fired."""
        return self.session.should_stop

    @property
    def findings(self) -> list[Finding]:
        return self.session.findings

    def step_of(self, mode: str | None = None) -> int:
        """The step now being collected in `mode` (the current mode by default)."""
        return self._steps[mode or self.mode]

    def set_mode(self, mode: str) -> None:
        """Switch to "train", "eval" or "predict"; a step of the mode left is ended."""
        if mode not in MODES:
            raise ValueError(f"Unknown mode {mode!r}: choose among {MODES}.")
        if mode != self.mode:
            if self._dirty[self.mode] and self._forward_steps(self.mode):
                self._end_step(self.mode)
            self.mode = mode
            self._sync_root_hook()
            self._boundary[mode] = time.perf_counter()
            self._clocks[mode].restart()
            self._arm_activations(mode)

    def step(self) -> None:
        """End the current step: a training step without an optimizer, or an eval or predict
        step. With an optimizer, its `step()` ends the training steps and this does nothing."""
        mode = self.mode
        if mode == "train" and self.optimizer is not None:
            return
        if mode == "train":
            self._take_parameters(mode)
            self._take_updates(mode)
        self._end_step(mode)

    def record_loss(
        self, loss: torch.Tensor | float, mode: str | None = None, name: str = "loss"
    ) -> None:
        """Save the loss of this step as "losses/<name>" (kept on the device: no `.item()`).
        A loss of another mode than the current one is a step of its own in that mode."""
        mode = mode or self.mode
        if mode not in MODES:
            raise ValueError(f"Unknown mode {mode!r}: choose among {MODES}.")
        if "losses" in self._due_now[mode]:
            value = loss.detach() if isinstance(loss, torch.Tensor) else torch.tensor(float(loss))
            self._add(mode, [f"losses/{name}"], [value])
        if mode != self.mode:
            self._end_step(mode)

    def record_batch(
        self,
        inputs: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
        predictions: torch.Tensor | None = None,
    ) -> None:
        """Save this step's inputs, labels and predictions, with per-class counts of the labels
        and of the predictions (and the correct ones per class) for ClassImbalance."""
        mode = self.mode
        due = self._due_now[mode]
        if not due:
            return
        for collection, tensor in (
            ("inputs", inputs),
            ("labels", labels),
            ("predictions", predictions),
        ):
            if tensor is not None and collection in due:
                self._add(mode, [collection], [tensor.detach()])
        if predictions is not None and predictions.ndim >= 2 and predictions.is_floating_point():
            self.num_classes = self.num_classes or predictions.shape[-1]
        capture = self._captures.get(mode)
        if capture is not None and self.num_classes:
            started = time.perf_counter()
            for name, vectors in class_counts(labels, predictions, self.num_classes).items():
                if name in capture:
                    for vector, values in vectors.items():
                        capture.add_vector(name, vector, values)
            self._hook_seconds[mode] += time.perf_counter() - started

    def close(self) -> None:
        """End the open steps, hand every pending record to the session, and close it."""
        if self._closed:
            return
        self._closed = True
        for mode in MODES:
            if mode in self._captures or (self._dirty[mode] and self._forward_steps(mode)):
                self._end_step(mode, stop=False)
        for handle in self._handles:
            handle.remove()
        if self._root_hook is not None:
            self._root_hook.remove()
        self._remove_activation_hooks()
        if self._scaler is not None:
            self._scaler.__dict__.pop("step", None)
        self._harvest()
        self.session.close()

    # Steps ------------------------------------------------------------------------------------

    def _sync_root_hook(self) -> None:
        """Watch the model's forward passes only where they matter (they end eval and predict
        steps; without an optimizer they start a training step's update): a hook on the
        root module takes every call off PyTorch's fast path."""
        needed = self._forward_steps(self.mode) or self.optimizer is None
        if needed and self._root_hook is None:
            self._root_hook = self.model.register_forward_pre_hook(self._on_forward)
        elif not needed and self._root_hook is not None:
            self._root_hook.remove()
            self._root_hook = None

    def _forward_steps(self, mode: str) -> bool:
        """Whether a forward pass starts a new step in `mode` (not in training)."""
        return mode != "train"

    def _schedule_due(self, mode: str) -> frozenset[str]:
        return self.schedule.due(mode, self._steps[mode], self.selection.collections)

    def _due(self, mode: str) -> frozenset[str]:
        """The collections saved at the current step of `mode` (asked once per step)."""
        return self._due_now[mode]

    def _capture(self, mode: str) -> StepCapture:
        capture = self._captures.get(mode)
        if capture is None:
            capture = self._captures[mode] = StepCapture(mode, self._steps[mode], self.bins)
        return capture

    def _add(self, mode: str, names: Sequence[str], tensors: Sequence[torch.Tensor]) -> None:
        capture = self._capture(mode)
        kept = [
            (n, t)
            for n, t in zip(names, tensors, strict=True)
            if self.selection.keeps(n) and n not in capture
        ]
        if not kept:
            return
        started = time.perf_counter()
        names = [n for n, _ in kept]
        tensors = [t for _, t in kept]
        raw, hist = self._computer.summarise(tensors, self.bins)
        capture.add(names, raw, hist)
        if self.flight is not None:
            self.flight.keep(mode, capture.step, names, tensors)
        self._hook_seconds[mode] += time.perf_counter() - started

    def _end_step(self, mode: str, stop: bool = True) -> None:
        now = time.perf_counter()
        capture = self._captures.pop(mode, None)
        saved = bool(capture)
        if capture is not None and saved:
            # Read one interval later: the records launched at earlier saved steps have long
            # been copied by now; this step's waits for the next saved step.
            self._harvest(wait=False)
            self._pending.append(capture.launch(_now_ms()))
            finished = time.perf_counter()
            self._hook_seconds[mode] += finished - now
            now = finished
        self._clocks[mode].step_ended(
            self._steps[mode], now - self._boundary[mode], self._hook_seconds[mode], saved
        )
        self._boundary[mode] = now
        self._hook_seconds[mode] = 0.0
        self.session.heartbeat(self._steps[mode])
        self._steps[mode] += 1
        self._dirty[mode] = False
        self._due_now[mode] = self._schedule_due(mode)
        if not self._closed:
            self._arm_activations(mode)
        if stop and self.raise_on_stop:
            self.session.raise_if_stopped()

    def _harvest(self, wait: bool = True) -> None:
        """Hand the pending records to the session, in order; inside a step (`wait=False`)
        only those already copied, so that a device far behind never makes the step wait."""
        while self._pending and (wait or self._pending[0].ready()):
            self.session.submit(self._pending.pop(0).record())

    # Parameters -------------------------------------------------------------------------------

    def _take_parameters(self, mode: str, skipped: bool = False) -> None:
        """The weights, biases and gradients as the optimizer is about to use them."""
        due = self._due(mode)
        names: list[str] = []
        tensors: list[torch.Tensor] = []
        for name, param in self._parameters:
            collection = "biases" if name.rpartition(".")[2] == "bias" else "weights"
            if collection in due:
                names.append(f"{collection}/{name}")
                tensors.append(param.detach())
        if "gradients" in due or (skipped and "gradients" in self.selection.collections):
            for name, param in self._parameters:
                if param.grad is not None:
                    names.append(f"gradients/{name}")
                    tensors.append(param.grad.detach())
        if names:
            self._add(mode, names, tensors)
        if skipped:
            self._capture(mode).scalars["skipped"] = 1.0

    def _snapshot_for_updates(self, mode: str) -> None:
        if "updates" in self._due(mode) and self._update_parameters():
            started = time.perf_counter()
            self._before = [p.detach().clone() for _, p in self._update_parameters()]
            self._hook_seconds[mode] += time.perf_counter() - started

    def _update_parameters(self) -> list[tuple[str, nn.Parameter]]:
        return [
            (n, p)
            for n, p in self._parameters
            if p.requires_grad and self.selection.keeps(f"updates/{n}")
        ]

    def _take_updates(self, mode: str) -> None:
        if self._before is None:
            return
        before, self._before = self._before, None
        chosen = self._update_parameters()
        updates = torch._foreach_sub([p.detach() for _, p in chosen], before)
        self._add(mode, [f"updates/{n}" for n, _ in chosen], updates)

    def _on_optimizer_pre(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self._optimizer_steps += 1
        if self._due_now["train"]:
            self._take_parameters("train")
            self._snapshot_for_updates("train")

    def _on_optimizer_post(self, optimizer: torch.optim.Optimizer, args: Any, kwargs: Any) -> None:
        self._take_updates("train")
        self._end_step("train")

    def _wrap_scaler(self, scaler: Any) -> None:
        """Make the scaler's skipped steps steps too: `GradScaler.step` calls `optimizer.step()`
        only where the gradients are finite, so the optimizer's hooks never see the others."""
        original: Callable[..., Any] = scaler.step

        def step(optimizer: torch.optim.Optimizer, *args: Any, **kwargs: Any) -> Any:
            before = self._optimizer_steps
            result = original(optimizer, *args, **kwargs)
            if optimizer is self.optimizer and self._optimizer_steps == before:
                self._take_parameters("train", skipped=True)
                self._end_step("train")
            return result

        scaler.step = step

    # Activations ------------------------------------------------------------------------------

    def _on_forward(self, module: nn.Module, args: Any) -> None:
        mode = self.mode
        if self._dirty[mode] and self._forward_steps(mode):
            self._end_step(mode)
        if not self._dirty[mode] and self.optimizer is None and mode == "train":
            self._snapshot_for_updates(mode)
        self._dirty[mode] = True
        self._arm_activations(mode)

    def _arm_activations(self, mode: str) -> None:
        """Hook the chosen modules' outputs for a step that saves activations, and only for
        it: a forward hook costs a Python call per module even when it saves nothing."""
        key = (mode, self._steps[mode])
        if mode != self.mode or self._activations_for == key:
            return
        if self._activation_handles:
            self._remove_activation_hooks()
        if "activations" in self._due(mode):
            self._activations_for = key
            for name, module in self._activation_modules:
                hook = self._activation_hook(name)
                self._activation_handles.append(module.register_forward_hook(hook))

    def _activation_hook(self, name: str) -> Callable[[nn.Module, Any, Any], None]:
        tensor = f"activations/{name}"

        def hook(module: nn.Module, args: Any, output: Any) -> None:
            value = output_tensor(output)
            mode = self.mode
            # With gradient accumulation a step has several forward passes: the first is kept.
            if value is not None and tensor not in self._capture(mode):
                self._add(mode, [tensor], [value.detach()])
                if tensor in self._capture(mode):
                    started = time.perf_counter()
                    summaries = activation_vectors(module, args, value.detach())
                    for vector, values in summaries.items():
                        self._capture(mode).add_vector(tensor, vector, values)
                    self._hook_seconds[mode] += time.perf_counter() - started

        return hook

    def _remove_activation_hooks(self) -> None:
        for handle in self._activation_handles:
            handle.remove()
        self._activation_handles = []
        self._activations_for = None
