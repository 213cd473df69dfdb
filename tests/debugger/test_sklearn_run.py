"""`watch` with a run: the records, findings and rule states land in the Studio store, and
`studio.Client` reads them back; without `run=`, the active run is the one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.neural_network import MLPClassifier

import studio
from studio.debugger import Rule, watch
from tests.tracking.logging_store import tracking_store

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from studio.debugger.entities import Finding
    from studio.debugger.record import StepRecord

pytest.importorskip("studio.debugger.run_sink")  # DAPI's RunSink: the store of a run


class AtStep(Rule):
    """Fires at one step of the training."""

    def __init__(self, step: int, **options: Any) -> None:
        super().__init__(step=step, **options)
        self.step = step

    def observe(self, record: StepRecord) -> list[Finding]:
        if record.mode == "train" and record.step == self.step:
            return [self.finding(record, ("losses/loss",), "planted")]
        return []


@pytest.fixture
def uri(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with tracking_store(database_url, tmp_path / "home", monkeypatch) as tracking_uri:
        yield tracking_uri


def test_the_active_runs_store_keeps_the_records_and_findings(uri: str) -> None:
    X, y = load_iris(return_X_y=True)
    with studio.start_run(experiment="sklearn", name="mlp", tracking_uri=uri) as run:
        result = watch(
            MLPClassifier(hidden_layer_sizes=(6,), random_state=0),
            X,
            y,
            epochs=3,
            validation_data=(X[:30], y[:30]),
            rules=[AtStep(2)],
            every=1,
            display=False,
        )
    assert result.session.run is run
    client = studio.Client(uri)
    losses = client.get_tensor_stats(run.id, tensor="losses/loss", stats="mean")
    train = losses[losses["mode"] == "train"]
    assert train["step"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(train["mean"], result.history["loss"])
    valid = losses[losses["mode"] == "eval"]
    np.testing.assert_allclose(valid["mean"], result.history["val_loss"])
    weights = client.get_tensor_stats(run.id, tensor="weights/hidden.0.coef", stats="count")
    assert weights["count"].tolist() == [4 * 6] * 3
    assert [(f.rule, f.step) for f in client.get_findings(run.id)] == [("AtStep", 2)]
