"""Overhead of the debugger's statistics on a CPU training loop (issue 9, "Performance").

A PyTorch MLP 784-256-128-10, batch 128, one thread, SGD. Each repeat times N steps of the
plain loop, then of the loop with the 10 statistics of every parameter and gradient taken at
every step, and every 10 steps, launched through `PendingStats` and read one interval later as
the hook will. The loops alternate within each repeat; the overhead is the median over repeats
of (loop with statistics / plain loop - 1).

For reference it also times the "straightforward batched reduction" the issue quotes (+4% to
+6%): norms, sum and extremes of the raw values through `torch._foreach_*`, with no finite
masking, no zero/NaN/Inf counts and a one-pass variance; not the statistics Studio defines.

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

    def reference(tensors: list[torch.Tensor]) -> torch.Tensor:
        flat = [t.detach().reshape(-1) for t in tensors]
        parts = [
            torch._foreach_norm(flat, 1),
            torch._foreach_norm(flat, 2),
            torch._foreach_max(flat),
            [x.sum() for x in flat],
            [x.amin() for x in flat],
        ]
        return torch.stack([torch.stack(list(p)) for p in parts])

    def loop(every: int | None, naive: bool = False) -> float:
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
                if naive:
                    reference(tensors)
                    continue
                pending = PendingStats(tensors, computer)
        if pending is not None:
            pending.result()
        return time.perf_counter() - start

    modes: dict[str, tuple[int | None, bool]] = {
        "plain": (None, False),
        "every=1": (1, False),
        "every=10": (10, False),
        "reference every=10": (10, True),
    }
    loop(None)
    loop(1)
    times: dict[str, list[float]] = {mode: [] for mode in modes}
    for _ in range(args.repeats):
        for mode, (every, naive) in modes.items():
            times[mode].append(loop(every, naive))
    plain = times["plain"]
    step_ms = statistics.median(plain) / args.steps * 1e3
    print(f"MLP 784-256-128-10, batch 128, 1 thread: {step_ms:.3f} ms/step plain")
    for mode in ("every=1", "every=10", "reference every=10"):
        ratios = [t / p - 1 for t, p in zip(times[mode], plain, strict=True)]
        print(f"  12 tensors, {mode:18s} overhead {100 * statistics.median(ratios):+.1f}%")


if __name__ == "__main__":
    main()
