"""Overhead of the debugger's statistics on a CPU training loop (issue 9, "Performance").

A PyTorch MLP 784-256-128-10, batch 128, one thread, SGD. Each repeat times N steps of the
plain loop, then of the loop with the 10 statistics of every parameter and gradient taken at
every step, and every 10 steps, launched through `PendingStats` and read one interval later as
the hook will. The loops alternate within each repeat; the overhead is the median over repeats
of (loop with statistics / plain loop - 1).

    python tests/bench/bench_debugger_stats.py [--steps 200] [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from studio.debugger.torch_stats import PendingStats, TensorStats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    inputs = torch.randn(128, 784)
    labels = torch.randint(0, 10, (128,))
    parameters = list(model.parameters())
    computer = TensorStats()

    def loop(every: int | None) -> float:
        pending: PendingStats | None = None
        start = time.perf_counter()
        for step in range(args.steps):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(inputs), labels).backward()
            optimizer.step()
            if every is not None and step % every == 0:
                if pending is not None:
                    pending.result()
                tensors = parameters + [p.grad for p in parameters if p.grad is not None]
                pending = PendingStats(tensors, computer)
        if pending is not None:
            pending.result()
        return time.perf_counter() - start

    modes: dict[str, int | None] = {"plain": None, "every=1": 1, "every=10": 10}
    loop(None)
    loop(1)
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(args.repeats):
        for mode, every in modes.items():
            times[mode].append(loop(every))
    plain = times["plain"]
    step_ms = statistics.median(plain) / args.steps * 1e3
    print(f"MLP 784-256-128-10, batch 128, 1 thread: {step_ms:.3f} ms/step plain")
    for mode in ("every=1", "every=10"):
        ratios = [t / p - 1 for t, p in zip(times[mode], plain, strict=True)]
        print(f"  stats of 12 tensors {mode:9s} overhead {100 * statistics.median(ratios):+.1f}%")


if __name__ == "__main__":
    main()
