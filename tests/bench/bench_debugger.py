"""The training debugger's overhead on CPU, beside wandb.watch and TensorBoard (issue 9,
"Performance").

    PYTHONPATH=. .venv/bin/python tests/bench/bench_debugger.py [--quick] [--steps N]
        [--repeats N] [--epochs N] [--only torch|sklearn] [--json PATH]

Overhead is the slowdown of a training loop with the hook against the same loop without it,
measured side by side in one process: each repeat times a segment of N steps of the plain loop
and one of the loop under test back to back (which one first alternates from repeat to
repeat), and the figure is the median over repeats of (with / plain - 1). One thread
(`torch.set_num_threads(1)`). Every variant has its own model (the same initial weights) and
keeps its hook attached for the whole benchmark, as a training would; the first segment of
each is a warm-up, not counted.

PyTorch: an MLP 784-256-128-10, batch 128 of synthetic data (64 batches of Gaussian inputs
labelled by a linear teacher: a task it learns, the loss from 2.3 to under 0.01), SGD at lr 0.1;
the loop zeroes the gradients, runs forward and backward and steps. Studio's variants wrap it in
`studio.debugger.TorchHook(model, optimizer=...)` (default rules, no run: the statistics are
computed, read back and judged by the rules inside the session, not stored) and call
`hook.record_loss(loss)` every step:

- `every="auto"` (the default; the interval it picked is reported), `every=10`, `every=1`;
- `every=10` with `histograms=True`; the default interval with `flight_recorder=10`;
- the peers' coverage (`collections=["weights", "biases", "gradients"]`) at `every=10`, with
  and without histograms.

Peers, the same loop: `wandb.watch(model, log="all", log_freq=10)` in offline mode
(`WANDB_MODE=offline`, `WANDB_DIR` a temporary folder) with `wandb.log({"loss": ...})` at each
step whose histograms it made (that commits them); TensorBoard's
`SummaryWriter.add_histogram` of every parameter and of its gradient every 10 steps (and the
loss as a scalar). A peer whose package is missing is left out (the table says so).

scikit-learn: `MLPClassifier(hidden_layer_sizes=(64, 32))` on 10,000 x 50 synthetic rows
(three balanced classes of a linear score), E epochs of `partial_fit`, against
`studio.debugger.watch(estimator, X, y, epochs=E)`, each repeat a fresh estimator; and
`SGDClassifier()` on the digits (1,797 x 64, standardised) for 3E epochs the same way.

The first table gives each variant's time per step and overhead; the second, Studio at
every=10 against each peer at the same interval (the issue's target: at least 5 times
cheaper), as the ratio of the extra time per step. Overheads of a few percent are within the
noise of a shared machine: the plain-against-plain row shows how large that is here. A second
column gives the overhead in this process's CPU time (all its threads), steadier on a loaded
machine; it leaves out work done in other processes (wandb's service), so only the wall-time
column compares with the peers.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import copy
import io
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

BATCH = 128
PEER_COLLECTIONS = ["weights", "biases", "gradients"]
TARGET_OVERHEAD = 0.05
TARGET_RATIO = 5.0


@dataclass
class Variant:
    """A training loop under test: `step(i)` runs training step i; `close()` at the end."""

    name: str
    step: Callable[[int], None]
    close: Callable[[], None] = lambda: None
    note: Callable[[], str] = lambda: ""
    times: list[float] = field(default_factory=list)
    plain: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    plain_cpu: list[float] = field(default_factory=list)

    @property
    def overhead(self) -> float:
        return statistics.median(t / p - 1 for t, p in zip(self.times, self.plain, strict=True))

    @property
    def cpu_overhead(self) -> float:
        pairs = zip(self.cpu, self.plain_cpu, strict=True)
        return statistics.median(t / p - 1 for t, p in pairs)


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )


class Loop:
    """One model, optimizer and batches: the plain training step, and hooks around it."""

    def __init__(self, initial: nn.Module, batches: list[tuple[torch.Tensor, torch.Tensor]]):
        self.model = copy.deepcopy(initial)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.batches = batches

    def train_step(self, step: int) -> torch.Tensor:
        inputs, labels = self.batches[step % len(self.batches)]
        self.optimizer.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(self.model(inputs), labels)
        loss.backward()
        self.optimizer.step()
        return loss


def plain_variant(name: str, initial: nn.Module, batches: list[Any]) -> Variant:
    loop = Loop(initial, batches)
    return Variant(name, loop.train_step)


def studio_variant(name: str, initial: nn.Module, batches: list[Any], **options: Any) -> Variant:
    from studio.debugger import TorchHook

    loop = Loop(initial, batches)
    hook = TorchHook(loop.model, optimizer=loop.optimizer, **options)

    def step(i: int) -> None:
        hook.record_loss(loop.train_step(i))

    def note() -> str:
        # The interval "auto" settled on: not a public name, read where the hook keeps it.
        auto = getattr(getattr(hook, "schedule", None), "autos", {}).get("train")
        found = collections.Counter(finding.rule for finding in hook.findings)
        picked = auto is not None and "every" not in options
        parts = [f"interval picked {auto.interval}"] if picked else []
        parts.append(f"findings: {dict(sorted(found.items())) or 'none'}")
        return "; ".join(parts)

    return Variant(name, step, hook.close, note)


def wandb_variant(initial: nn.Module, batches: list[Any], folder: Path) -> Variant:
    os.environ["WANDB_MODE"] = "offline"
    os.environ["WANDB_DIR"] = str(folder)
    os.environ["WANDB_SILENT"] = "true"
    import wandb

    loop = Loop(initial, batches)
    run = wandb.init(project="studio-bench", dir=str(folder), mode="offline")
    wandb.watch(loop.model, log="all", log_freq=10)

    def step(i: int) -> None:
        loss = loop.train_step(i)
        # wandb's hooks fire on every 10th forward and backward (steps 9, 19, ...); the log
        # call commits that step's histograms.
        if i % 10 == 9:
            wandb.log({"loss": loss.item()})

    def close() -> None:
        run.finish()

    return Variant(f"wandb.watch log='all' log_freq=10 (wandb {wandb.__version__})", step, close)


def tensorboard_variant(initial: nn.Module, batches: list[Any], folder: Path) -> Variant:
    from torch.utils.tensorboard import SummaryWriter

    loop = Loop(initial, batches)
    writer = SummaryWriter(log_dir=str(folder / "tensorboard"))
    named = list(loop.model.named_parameters())

    def step(i: int) -> None:
        loss = loop.train_step(i)
        if i % 10 == 9:
            writer.add_scalar("loss", loss.item(), i)
            for name, parameter in named:
                writer.add_histogram(name, parameter, i)
                if parameter.grad is not None:
                    writer.add_histogram(f"{name}/grad", parameter.grad, i)

    import tensorboard

    name = f"TensorBoard add_histogram every 10 (tensorboard {tensorboard.__version__})"
    return Variant(name, step, writer.close)


def time_segment(step: Callable[[int], None], first: int, steps: int) -> tuple[float, float]:
    """Wall and CPU seconds (this process's threads) of `steps` steps."""
    # A finding is one line on a terminal: kept out of the tables, whichever loop prints it.
    with contextlib.redirect_stdout(io.StringIO()):
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(first, first + steps):
            step(i)
        return time.perf_counter() - start, time.process_time() - cpu


def run_variants(variants: list[Variant], plain: Variant, steps: int, repeats: int) -> None:
    """Each repeat: the plain loop and each variant back to back, alternating which first."""
    counters = {id(variant): 0 for variant in [plain, *variants]}

    def segment(variant: Variant) -> tuple[float, float]:
        first = counters[id(variant)]
        counters[id(variant)] += steps
        return time_segment(variant.step, first, steps)

    for variant in [plain, *variants]:
        segment(variant)  # warm-up: allocations, caches, the hook's first collections
    for repeat in range(repeats):
        for variant in variants:
            if repeat % 2 == 0:
                base, timed = segment(plain), segment(variant)
            else:
                timed, base = segment(variant), segment(plain)
            variant.plain.append(base[0])
            variant.times.append(timed[0])
            variant.plain_cpu.append(base[1])
            variant.cpu.append(timed[1])
        print(f"  repeat {repeat + 1}/{repeats} done", file=sys.stderr, flush=True)


def optional(label: str, make: Callable[[], Variant], missing: list[str]) -> list[Variant]:
    try:
        return [make()]
    except ImportError as exc:
        missing.append(f"{label}: not measured ({exc})")
        return []


def torch_figures(steps: int, repeats: int, folder: Path) -> tuple[list[Variant], list[str]]:
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(1)
    # Labels a linear teacher gives: a task the MLP learns, so that a healthy training keeps
    # the default rules quiet (random labels would rightly fire LossNotDecreasing).
    teacher = torch.randn(784, 10, generator=generator)
    inputs = [torch.randn(BATCH, 784, generator=generator) for _ in range(64)]
    batches = [(x, (x @ teacher).argmax(dim=1)) for x in inputs]
    initial = mlp()
    missing: list[str] = []
    studio: list[tuple[str, dict[str, Any]]] = [
        ('Studio every="auto" (default)', {}),
        ("Studio every=10", {"every": 10}),
        ("Studio every=1", {"every": 1}),
        ("Studio every=10, histograms", {"every": 10, "histograms": True}),
        ('Studio every="auto", flight_recorder=10', {"flight_recorder": 10}),
        ("Studio every=10, peers' coverage", {"every": 10, "collections": PEER_COLLECTIONS}),
        (
            "Studio every=10, peers' coverage, histograms",
            {"every": 10, "collections": PEER_COLLECTIONS, "histograms": True},
        ),
    ]
    variants = [plain_variant("plain (against plain: the noise)", initial, batches)]
    for name, options in studio:
        variants += optional(
            name,
            lambda name=name, options=options: studio_variant(name, initial, batches, **options),
            missing,
        )
    variants += optional("wandb", lambda: wandb_variant(initial, batches, folder), missing)
    variants += optional(
        "TensorBoard", lambda: tensorboard_variant(initial, batches, folder), missing
    )
    plain = plain_variant("plain", initial, batches)
    try:
        run_variants(variants, plain, steps, repeats)
    finally:
        for variant in variants:
            try:
                variant.close()
            except Exception as exc:  # the others must close all the same
                print(f"closing {variant.name}: {exc!r}", file=sys.stderr)
    step_ms = statistics.median(t for v in variants for t in v.plain) / steps * 1e3
    print(f"plain step: {step_ms:.3f} ms (MLP 784-256-128-10, batch {BATCH}, 1 thread)")
    return variants, missing


def sklearn_figures(epochs: int, repeats: int) -> tuple[list[Variant], list[str]]:
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(0)
    features = rng.normal(size=(10_000, 50))
    score = features[:, :3].sum(axis=1) + 0.3 * features[:, 3]
    labels = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))  # three balanced classes
    classes = np.unique(labels)

    def estimator() -> MLPClassifier:
        return MLPClassifier(hidden_layer_sizes=(64, 32), random_state=0)

    def plain_fit(_: int) -> None:
        model = estimator()
        for _epoch in range(epochs):
            model.partial_fit(features, labels, classes=classes)

    missing: list[str] = []
    variants: list[Variant] = []
    try:
        from studio.debugger import watch

        findings: list[str] = []

        def watched(_: int) -> None:
            result = watch(estimator(), features, labels, epochs=epochs)
            findings[:] = sorted({finding.rule for finding in result.findings})

        name = f"studio.debugger.watch, {epochs} epochs"
        variants.append(Variant(name, watched, note=lambda: f"findings: {findings or 'none'}"))
    except ImportError as exc:
        missing.append(f"studio.debugger.watch: not measured ({exc})")
    plain = Variant(f"MLPClassifier partial_fit, {epochs} epochs", plain_fit)
    run_variants(variants, plain, 1, repeats)
    return variants + sgd_figures(3 * epochs, repeats), missing


def sgd_figures(epochs: int, repeats: int) -> list[Variant]:
    """SGDClassifier on the digits (1,797 x 64, standardised), whose epochs take a few
    milliseconds: what watch adds to every epoch shows most here."""
    from sklearn.datasets import load_digits
    from sklearn.linear_model import SGDClassifier

    try:
        from studio.debugger import watch
    except ImportError:
        return []
    features, labels = load_digits(return_X_y=True)
    features = (features - features.mean(axis=0)) / np.maximum(features.std(axis=0), 1e-12)
    classes = np.unique(labels)

    def plain_fit(_: int) -> None:
        model = SGDClassifier(random_state=0)
        for _epoch in range(epochs):
            model.partial_fit(features, labels, classes=classes)

    def watched(_: int) -> None:
        watch(SGDClassifier(random_state=0), features, labels, epochs=epochs)

    variant = Variant(f"studio.debugger.watch, SGDClassifier, {epochs} epochs", watched)
    plain = Variant(f"SGDClassifier partial_fit, {epochs} epochs", plain_fit)
    run_variants([variant], plain, 1, repeats)
    return [variant]


def markdown(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def percent(value: float) -> str:
    return f"{100 * value:+.1f}%"


def overhead_table(variants: list[Variant], steps: int) -> str:
    rows = []
    for variant in variants:
        per_step = statistics.median(variant.times) / steps * 1e3
        plain = statistics.median(variant.plain) / steps * 1e3
        rows.append(
            [variant.name, f"{plain:.3f}", f"{per_step:.3f}", percent(variant.overhead),
             percent(variant.cpu_overhead), variant.note()]
        )  # fmt: skip
    header = ["Variant", "plain ms/step", "ms/step", "overhead", "CPU-time overhead", "notes"]
    return markdown(header, rows)


def peer_table(variants: list[Variant]) -> str:
    by_name = {variant.name: variant for variant in variants}
    peers = [v for v in variants if v.name.startswith(("wandb", "TensorBoard"))]
    studio = [
        by_name[name]
        for name in (
            "Studio every=10, peers' coverage",
            "Studio every=10, peers' coverage, histograms",
            "Studio every=10",
            "Studio every=10, histograms",
        )
        if name in by_name
    ]
    rows = []
    for mine in studio:
        for peer in peers:
            # The noise can put a few-percent overhead at or under zero: the ratio is then
            # at least the peer's overhead over the noise row's spread.
            cost = max(mine.overhead, 1e-3)
            ratio = peer.overhead / cost
            met = "yes" if ratio >= TARGET_RATIO else "no"
            rows.append([mine.name, percent(mine.overhead), peer.name.split(" (")[0],
                         percent(peer.overhead), f"{ratio:,.1f}x", met])  # fmt: skip
    header = ["Studio", "overhead", "peer", "peer overhead", "Studio cheaper by", ">= 5x"]
    return markdown(header, rows)


@contextlib.contextmanager
def quiet_home() -> Iterator[Path]:
    """A temporary folder for the peers' files and Studio's home (nothing of the caller's)."""
    with tempfile.TemporaryDirectory(prefix="studio-bench-debugger-") as name:
        folder = Path(name)
        os.environ["STUDIO_HOME"] = str(folder / "studio")
        yield folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="steps per timed segment")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=10, help="scikit-learn epochs")
    parser.add_argument("--quick", action="store_true", help="a smoke run: few steps")
    parser.add_argument("--only", choices=("torch", "sklearn"))
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.repeats, args.epochs = 40, 3, 4
    document: dict[str, Any] = {
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                    "cpus": os.cpu_count(), "torch": torch.__version__},
        "figures": [],
    }  # fmt: skip
    with quiet_home() as folder:
        if args.only in (None, "torch"):
            variants, missing = torch_figures(args.steps, args.repeats, folder)
            print(f"\n### PyTorch MLP, {args.steps} steps a segment, median of {args.repeats}\n")
            print(overhead_table(variants, args.steps))
            print("\n### Studio against the peers at every=10\n")
            print(peer_table(variants))
            document["figures"] += [
                {"loop": "torch", "variant": v.name, "overhead": v.overhead, "notes": v.note()}
                for v in variants
            ]
            for line in missing:
                print(f"- {line}")
        if args.only in (None, "sklearn"):
            variants, missing = sklearn_figures(args.epochs, args.repeats)
            print(f"\n### scikit-learn MLPClassifier and SGDClassifier, median of {args.repeats}\n")
            print(overhead_table(variants, 1).replace("ms/step", "ms/fit"))
            document["figures"] += [
                {"loop": "sklearn", "variant": v.name, "overhead": v.overhead, "notes": v.note()}
                for v in variants
            ]
            for line in missing:
                print(f"- {line}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
