"""TorchHook with a run: its statistics and findings land in the Studio store, where
`Client.get_tensor_stats` and `get_findings` read them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

import studio

torch = pytest.importorskip("torch")
pytest.importorskip("studio.debugger.run_sink")  # the store's sink (DAPI's), once merged

from studio.debugger.torch_hook import TorchHook  # noqa: E402

from ..tracking.logging_store import tracking_store  # noqa: E402
from .test_torch_hook_actions import FiresAt  # noqa: E402
from .torch_training import batch, mlp  # noqa: E402

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord


def test_a_hook_with_a_run_stores_its_statistics_and_findings(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    records: list[StepRecord] = []
    with tracking_store(database_url, tmp_path / "home", monkeypatch) as uri:
        model = mlp()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        with (
            studio.start_run(name="watched", tracking_uri=uri) as run,
            TorchHook(
                model,
                optimizer,
                run=run,
                every=2,
                collections=["gradients", "losses", "labels"],
                rules=[FiresAt(2)],
            ) as hook,
        ):
            hook.session.listeners.append(lambda s, record, found: records.append(record))
            for i in range(5):
                inputs, labels = batch(i)
                logits = model(inputs)
                loss = torch.nn.functional.cross_entropy(logits, labels)
                hook.record_loss(loss)
                hook.record_batch(labels=labels, predictions=logits)
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
        client = studio.Client(uri)
        frame = client.get_tensor_stats(run.id, tensor="gradients/0.weight", mode="train")
        assert frame["step"].tolist() == [0, 2, 4]
        want = [r.stat("gradients/0.weight", "l2") for r in records]
        np.testing.assert_allclose(frame["l2"].to_numpy(), want)
        losses = client.get_tensor_stats(run.id, tensor="losses/loss", stats="mean")
        np.testing.assert_allclose(
            losses["mean"].to_numpy(), [r.stat("losses/loss", "mean") for r in records]
        )
        findings = client.get_findings(run.id)
        assert [(f.rule, f.step) for f in findings] == [("FiresAt", 2)]
