"""Watching a GradientBoostingClassifier or GradientBoostingRegressor through `fit`'s
`monitor` callback, which scikit-learn calls after each stage (and stops on True).

At stage i (step i + 1: the stages fit so far) the monitor records, in mode "train", the
training loss (`train_score_[i]`, the in-bag loss where `subsample` < 1), the stage's
contribution to the probe batch's raw predictions ("updates/stage": learning rate times the
stage's trees' outputs, one column per tree) and the probe's labels and predictions; and, in
mode "eval" with validation data, the loss scikit-learn's own early stopping would compute on
it and the score ("score": accuracy or R²).

The raw predictions of the probe and of the validation data are kept up to date one stage at
a time (each stage's trees predict once), so that a stage costs no more than the trees' own
predictions. The initial raw predictions and the loss come from the estimator's private
`_raw_predict_init` and `_loss`, the very ones its early stopping uses, so that the validation
loss is the training loss's quantity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sklearn.utils import check_array

from studio.debugger.sklearn_losses import accuracy, class_indices, r2
from studio.debugger.sklearn_records import Batch, EpochRecords, RecordBuilder

if TYPE_CHECKING:
    from studio.debugger.stats import Bins

if TYPE_CHECKING:
    from studio.debugger.session import DebugSession

__all__ = ["BoostingMonitor"]

FloatArray = npt.NDArray[np.float64]


def _tree_inputs(inputs: Any) -> Any:
    """Rows as the trees read them (float32, CSR where sparse), converted once."""
    return check_array(inputs, accept_sparse="csr", dtype=np.float32, order="C")


class _Predictions:
    """The ensemble's raw predictions for fixed rows, one stage at a time."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.inputs = _tree_inputs(batch.inputs)
        self.raw: FloatArray | None = None

    def add_stage(self, estimator: Any, stage: int) -> FloatArray:
        """Add stage `stage`'s trees; answer their contribution (rows x trees)."""
        if self.raw is None:
            self.raw = np.array(estimator._raw_predict_init(self.inputs), dtype=np.float64)
            for earlier in range(stage):  # a warm start's stages, fit before this `fit`
                self._contribution(estimator, earlier)
        return self._contribution(estimator, stage)

    def _contribution(self, estimator: Any, stage: int) -> FloatArray:
        assert self.raw is not None
        trees = estimator.estimators_[stage]
        update = np.empty((self.inputs.shape[0], len(trees)), dtype=np.float64)
        for column, tree in enumerate(trees):
            update[:, column] = tree.predict(self.inputs, check_input=False)
        update *= estimator.learning_rate
        self.raw += update
        return update


class BoostingMonitor:
    """The `monitor` of a GradientBoosting `fit`: records each stage into `session`, hands
    each stage's `EpochRecords` to `on_stage`, and stops the fit once a "stop" rule fired."""

    def __init__(
        self,
        session: DebugSession,
        probe: Batch,
        validation: Batch | None,
        classes: int | None,
        on_stage: Callable[[int, EpochRecords], None],
        bins: Bins | None = None,
    ) -> None:
        self.session = session
        self.bins = bins
        self.classes = classes
        self.on_stage = on_stage
        self.probe = _Predictions(probe)
        self.validation = _Predictions(validation) if validation is not None else None

    def __call__(self, stage: int, estimator: Any, fit_locals: dict[str, Any]) -> bool:
        step = stage + 1
        loss = float(estimator.train_score_[stage])
        builder = RecordBuilder(bins=self.bins)
        builder.add("updates", "stage", self.probe.add_stage(estimator, stage))
        self._classes(builder, self.probe)
        builder.add_loss(loss)
        records = EpochRecords(train=builder.build(step, "train"), eval=None, loss=loss)
        if self.validation is not None:
            self.validation.add_stage(estimator, stage)
            records.eval, records.val_loss, records.val_score = self._evaluate(
                estimator, fit_locals, step
            )
        self.session.submit(records.train)
        if records.eval is not None:
            self.session.submit(records.eval)
        self.on_stage(step, records)
        return self.session.should_stop

    def _predicted(self, raw: FloatArray) -> npt.NDArray[Any]:
        return class_indices(raw, 0.0) if self.classes is not None else raw[:, 0]

    def _classes(self, builder: RecordBuilder, rows: _Predictions) -> None:
        assert rows.raw is not None
        target = rows.batch.target
        if self.classes is None:
            builder.add("labels", "", target)
            builder.add("predictions", "", rows.raw)
        else:
            builder.add_classes(target, self._predicted(rows.raw), self.classes)

    def _evaluate(
        self, estimator: Any, fit_locals: dict[str, Any], step: int
    ) -> tuple[Any, float, float]:
        assert self.validation is not None
        assert self.validation.raw is not None
        raw, target = self.validation.raw, self.validation.batch.target
        # GradientBoosting reports some losses at twice `_loss` (its `factor`, kept for
        # backward compatibility); scaled the same way, train and eval losses compare.
        factor = float(fit_locals.get("factor", 1.0))
        encoded = np.asarray(target, dtype=np.float64)
        loss = factor * float(estimator._loss(y_true=encoded, raw_prediction=raw))
        predicted = self._predicted(raw)
        score = r2(target, raw) if self.classes is None else accuracy(target, predicted)
        builder = RecordBuilder(scalars={"score": score})
        builder.add_loss(loss)
        return builder.build(step, "eval"), loss, score
