"""PendingStats: statistics launched in the training step and read an interval later."""

from __future__ import annotations

import numpy as np
import pytest

from studio.debugger.stats import MAX, MEAN, NAN, Bins, numpy_stats

torch = pytest.importorskip("torch")

from studio.debugger.torch_stats import PendingStats, TensorStats  # noqa: E402


def test_the_result_is_the_statistics_at_launch_not_at_reading() -> None:
    weights = torch.ones(100)
    pending = PendingStats([weights])
    weights.mul_(3.0)  # the next training step changes the tensor in place
    got = pending.result()
    assert got[0, MEAN] == 1.0
    assert pending.ready()


def test_histograms_come_with_the_statistics_when_asked() -> None:
    values = torch.tensor([-0.9, -0.1, 0.1, 0.2, float("nan")])
    pending = PendingStats([values], TensorStats(), histogram_bins=Bins(-1.0, 1.0, 4))
    np.testing.assert_array_equal(pending.histograms(), [[1.0, 1.0, 2.0, 0.0]])
    assert pending.result()[0, NAN] == 1.0
    assert PendingStats([values]).histograms() is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_on_cuda_nothing_synchronises_until_the_result_is_read() -> None:
    device = torch.device("cuda")
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 4))
    model.to(device)
    model(torch.randn(8, 64, device=device)).sum().backward()
    tensors = [p for p in model.parameters()] + [p.grad for p in model.parameters()]
    tensors.append(torch.tensor([1.0, float("inf"), 5.0], device=device, dtype=torch.bfloat16))
    computer = TensorStats()
    PendingStats(tensors, computer).result()  # warm-up: workspaces are allocated here
    torch.cuda.set_sync_debug_mode("error")
    try:
        pending = PendingStats(tensors, computer, histogram_bins=Bins())
    finally:
        torch.cuda.set_sync_debug_mode("default")
    got = pending.result()
    want = numpy_stats([t.detach().float().cpu().numpy() for t in tensors])
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, equal_nan=True)
    assert got[-1, MAX] == 5.0
