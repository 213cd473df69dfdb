"""The training debugger's overhead on a GPU (issue 9, "Performance", GPU): one script that needs
only torch and `studio.debugger`'s hook, and finishes in under 5 minutes.

    PYTHONPATH=. python tests/bench/bench_debugger_gpu.py [--steps N] [--repeats N] [--budget S]
        [--json PATH]
    PYTHONPATH=. python tests/bench/bench_debugger_gpu.py --device cpu --smoke     # a check here

Three trainings, SGD, synthetic data already on the device:

- an MLP of 8 Linear(4096, 4096) + ReLU layers, batch 512, under bf16 autocast;
- ResNet-18 (torchvision's where installed, else the same network built here), batch 256 of
  64 x 64 images, 100 classes;
- the MLP 784-256-128-10, batch 128.

Each is measured plain and with `studio.debugger.TorchHook(model, optimizer=...,
collections=["weights", "biases", "gradients"])`: the statistics of every parameter and
gradient, default rules, at `every=10` and at every step (targets: at most 3% and 25%), beside
two references: the naive way (each of the ten statistics of each tensor read with `.item()`,
as the existing tools do; at every step and every 10) and the floor (every parameter and
gradient read once, a norm each, nothing copied to the host).

Overhead: each repeat times a segment of N steps of the plain loop and of the loop under test
back to back (which first alternates), synchronizing the device at each segment's ends; the
figure is the median over repeats of (with / plain - 1). The hook's segments run under
`torch.cuda.set_sync_debug_mode("error")` (so does the plain loop's, to show that the loop
itself never synchronizes): a hook that synchronized the host inside a step fails the check,
which the table reports, and is then measured without it.

No workload starts past `--budget` seconds (200), so that the whole stays under 5 minutes
(the table says which were skipped). Without a CUDA device (and without `--device cpu`) the
script says so and exits 0: `make bench` runs every bench script, and this one only measures
where a GPU is.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

PEER_COLLECTIONS = ["weights", "biases", "gradients"]
TARGETS = {"hook every=10": 0.03, "hook every step": 0.25}


# Models ------------------------------------------------------------------------------------


class BasicBlock(nn.Module):
    def __init__(self, inputs: int, outputs: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inputs, outputs, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(outputs)
        self.conv2 = nn.Conv2d(outputs, outputs, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(outputs)
        self.relu = nn.ReLU(inplace=True)
        self.downsample: nn.Module | None = None
        if stride != 1 or inputs != outputs:
            self.downsample = nn.Sequential(
                nn.Conv2d(inputs, outputs, 1, stride, bias=False), nn.BatchNorm2d(outputs)
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        return self.relu(self.bn2(self.conv2(out)) + shortcut)


class ResNet18(nn.Module):
    """torchvision's resnet18 layout (BasicBlock, [2, 2, 2, 2]), for where it is missing."""

    def __init__(self, num_classes: int, width: int = 64) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        layers: list[nn.Module] = []
        channels = width
        for n, out in enumerate((width, width * 2, width * 4, width * 8)):
            stride = 1 if n == 0 else 2
            layers.append(nn.Sequential(BasicBlock(channels, out, stride), BasicBlock(out, out, 1)))
            channels = out
        self.layer1, self.layer2, self.layer3, self.layer4 = layers
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18(num_classes: int, smoke: bool) -> tuple[nn.Module, str]:
    if not smoke:
        with contextlib.suppress(ImportError):
            from torchvision.models import resnet18 as torchvision_resnet18

            return torchvision_resnet18(num_classes=num_classes), "torchvision"
    return ResNet18(num_classes, width=8 if smoke else 64), "built here"


@dataclass
class Workload:
    name: str
    model: nn.Module
    inputs: torch.Tensor
    labels: torch.Tensor
    autocast: torch.dtype | None = None


def workloads(device: torch.device, smoke: bool) -> list[Workload]:
    torch.manual_seed(0)
    width, depth, big_batch = (64, 3, 16) if smoke else (4096, 8, 512)
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), nn.ReLU()]
    deep = nn.Sequential(*layers, nn.Linear(width, 10))
    net, origin = resnet18(100, smoke)
    image, image_batch = (16, 4) if smoke else (64, 256)
    small_batch = 16 if smoke else 128
    small = nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)
    )
    return [
        Workload(
            f"MLP {depth}x{width} ReLU, batch {big_batch}, bf16 autocast",
            deep.to(device),
            torch.randn(big_batch, width, device=device),
            torch.randint(0, 10, (big_batch,), device=device),
            torch.bfloat16,
        ),
        Workload(
            f"ResNet-18 ({origin}), batch {image_batch}, {image}x{image}",
            net.to(device),
            torch.randn(image_batch, 3, image, image, device=device),
            torch.randint(0, 100, (image_batch,), device=device),
        ),
        Workload(
            f"MLP 784-256-128-10, batch {small_batch}",
            small.to(device),
            torch.randn(small_batch, 784, device=device),
            torch.randint(0, 10, (small_batch,), device=device),
        ),
    ]


# Loops -------------------------------------------------------------------------------------


@dataclass
class Variant:
    name: str
    step: Callable[[], None]
    checked: bool  # run under set_sync_debug_mode("error")
    close: Callable[[], None] = lambda: None
    times: list[float] = field(default_factory=list)
    plain: list[float] = field(default_factory=list)
    sync: str = "-"

    @property
    def overhead(self) -> float:
        return statistics.median(t / p - 1 for t, p in zip(self.times, self.plain, strict=True))


class Loop:
    """A copy of the workload's model with its own optimizer: the plain training step."""

    def __init__(self, work: Workload) -> None:
        self.work = work
        self.model = copy.deepcopy(work.model)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=1e-3, momentum=0.9)
        self.parameters = [p for p in self.model.parameters() if p.requires_grad]

    def train_step(self) -> None:
        work = self.work
        self.optimizer.zero_grad(set_to_none=True)
        device = work.inputs.device.type
        with torch.autocast(device, dtype=work.autocast, enabled=work.autocast is not None):
            loss = nn.functional.cross_entropy(self.model(work.inputs), work.labels)
        loss.backward()
        self.optimizer.step()

    def tensors(self) -> list[torch.Tensor]:
        grads = [p.grad for p in self.parameters if p.grad is not None]
        return [p.detach() for p in self.parameters] + grads


def naive_stats(tensors: list[torch.Tensor]) -> list[float]:
    """The ten statistics of each tensor, each read to the host on its own (`.item()`)."""
    out: list[float] = []
    for tensor in tensors:
        flat = tensor.detach().float().reshape(-1)
        out += [
            float(flat.numel()),
            flat.mean().item(),
            flat.std().item(),
            flat.min().item(),
            flat.max().item(),
            flat.abs().sum().item(),
            flat.norm().item(),
            (flat == 0).float().mean().item(),
            torch.isnan(flat).sum().item(),
            torch.isinf(flat).sum().item(),
        ]
    return out


def variants(work: Workload) -> list[Variant]:
    from studio.debugger import TorchHook

    made: list[Variant] = []
    for every, label in ((10, "hook every=10"), (1, "hook every step")):
        loop = Loop(work)
        hook = TorchHook(
            loop.model, optimizer=loop.optimizer, every=every, collections=PEER_COLLECTIONS
        )
        made.append(Variant(label, loop.train_step, True, hook.close))
    for every, label in ((1, "naive .item() every step"), (10, "naive .item() every=10")):
        loop = Loop(work)
        counter = iter(range(1 << 62))

        def naive(loop: Loop = loop, every: int = every, counter: Any = counter) -> None:
            loop.train_step()
            if next(counter) % every == 0:
                naive_stats(loop.tensors())

        made.append(Variant(label, naive, False))
    loop = Loop(work)

    def floor(loop: Loop = loop) -> None:
        loop.train_step()
        torch._foreach_norm(loop.tensors())

    made.append(Variant("floor: read every parameter and gradient once", floor, True))
    return made


@contextlib.contextmanager
def sync_check(device: torch.device, on: bool) -> Iterator[None]:
    if device.type != "cuda" or not on:
        yield
        return
    torch.cuda.set_sync_debug_mode("error")
    try:
        yield
    finally:
        torch.cuda.set_sync_debug_mode("default")


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def segment(variant: Variant, steps: int, device: torch.device) -> float:
    """Seconds of `steps` steps, the device idle at both ends. A synchronization inside the
    checked steps is recorded, and the segment timed again without the check."""
    synchronize(device)
    start = time.perf_counter()
    try:
        with sync_check(device, variant.checked):
            for _ in range(steps):
                variant.step()
    except RuntimeError as exc:
        if "synchroniz" not in str(exc):
            raise
        variant.sync = f"SYNCED: {str(exc).splitlines()[0][:120]}"
        variant.checked = False
        return segment(variant, steps, device)
    synchronize(device)
    if variant.checked and variant.sync == "-":
        variant.sync = "no sync" if device.type == "cuda" else "not checked (CPU)"
    return time.perf_counter() - start


def measure(work: Workload, steps: int, repeats: int, device: torch.device) -> list[Variant]:
    plain_loop = Loop(work)
    plain = Variant("plain", plain_loop.train_step, True)
    measured = variants(work)
    for variant in [plain, *measured]:
        segment(variant, max(steps // 4, 2), device)  # warm-up: kernels, allocator, pinned buffers
    for repeat in range(repeats):
        for variant in measured:
            if repeat % 2 == 0:
                base, timed = segment(plain, steps, device), segment(variant, steps, device)
            else:
                timed, base = segment(variant, steps, device), segment(plain, steps, device)
            variant.plain.append(base)
            variant.times.append(timed)
    for variant in measured:
        variant.close()
    return [plain, *measured]


def table(work: Workload, measured: list[Variant], steps: int, smoke: bool) -> str:
    plain, rest = measured[0], measured[1:]
    plain_ms = statistics.median(t for v in rest for t in v.plain) / steps * 1e3
    lines = [
        f"### {work.name}: plain {plain_ms:.3f} ms/step (loop sync check: {plain.sync})",
        "",
        "| Variant | ms/step | overhead | target | sync check |",
        "|---|---|---|---|---|",
    ]
    for variant in rest:
        target = None if smoke else TARGETS.get(variant.name)
        verdict = (
            "-"
            if target is None
            else f"<= {target:.0%} " + ("PASS" if variant.overhead <= target else "FAIL")
        )
        lines.append(
            f"| {variant.name} | {statistics.median(variant.times) / steps * 1e3:.3f} | "
            f"{variant.overhead:+.1%} | {verdict} | {variant.sync} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=40, help="steps per timed segment")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, few steps: a check")
    parser.add_argument(
        "--budget", type=float, default=200, help="seconds after which no new workload starts"
    )
    parser.add_argument("--quick", action="store_true", help="as --smoke (make bench's flag)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("bench_debugger_gpu: no CUDA device here, nothing measured "
              "(--device cpu --smoke checks the script on the CPU)")  # fmt: skip
        return 0
    smoke = args.smoke or args.quick
    if smoke:
        args.steps, args.repeats = 2, 1
    if device.type == "cpu":
        torch.set_num_threads(1)
    started = time.perf_counter()
    info = {"torch": torch.__version__, "python": platform.python_version(), "device": str(device)}
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        torch.backends.cudnn.benchmark = True
    print(f"bench_debugger_gpu: {info}", flush=True)
    if smoke:
        print("smoke run: tiny sizes, 2 steps a segment; no figure here means anything\n")
    figures: list[dict[str, Any]] = []
    for work in workloads(device, smoke):
        if time.perf_counter() - started > args.budget:
            print(f"### {work.name}: skipped, past the {args.budget:.0f} s budget\n")
            continue
        measured = measure(work, args.steps, args.repeats, device)
        print(table(work, measured, args.steps, smoke) + "\n", flush=True)
        figures += [
            {"workload": work.name, "variant": v.name, "overhead": v.overhead, "sync": v.sync}
            for v in measured[1:]
        ]
    print(f"total {time.perf_counter() - started:.0f} s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"machine": info, "figures": figures}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
