"""What `watch` records of a scikit-learn model at each epoch or boosting stage.

A tracer turns the estimator's state after an epoch into the session's `StepRecord`s (built
with `sklearn_records`): one in
mode "train" (parameters, their updates, the probe batch's activations, labels and
predictions, the training loss) and, with validation data, one in mode "eval" (the validation
loss, and the validation score as the step scalar "score").

Tensor names (see `studio.debugger.record`): an MLP's layer i is "hidden.<i>" (the last one
"output"), so that "weights/hidden.0.coef", "biases/hidden.0.intercept",
"updates/hidden.0.coef" and "activations/hidden.0" group under the module "hidden.0"; an
SGD-family model is the module "linear" ("weights/linear.coef", "biases/linear.intercept");
a boosting stage's contribution is "updates/stage". The probe batch's "labels" and
"predictions" are class indices for classifiers (with the vectors "count" per class, and
"correct" per class for predictions, for ClassImbalance) and targets and predicted values for
regressors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sklearn.utils.extmath import safe_sparse_dot

from studio.debugger.sklearn_losses import (
    accuracy,
    class_indices,
    linear_loss,
    network_loss,
    r2,
)
from studio.debugger.sklearn_records import (
    Batch,
    EpochRecords,
    Parameter,
    RecordBuilder,
    Updates,
)

if TYPE_CHECKING:
    from studio.debugger.record import StepRecord
    from studio.debugger.stats import Bins

__all__ = [
    "ACTIVATIONS",
    "SATURATION",
    "LinearTracer",
    "NetworkTracer",
    "layer_name",
    "network_outputs",
    "unit_vectors",
]

FloatArray = npt.NDArray[np.float64]

SATURATION = 0.97
"""A logistic unit is saturated when its output is below 1 - SATURATION or above SATURATION;
a tanh unit when its absolute output is above SATURATION: the activation's slope there is
under 3% (logistic) or 6% (tanh) of its largest."""


def _logistic(values: FloatArray) -> FloatArray:
    # The tanh form never overflows, where 1 / (1 + exp(-x)) does for large negative x.
    values *= 0.5
    np.tanh(values, out=values)
    values += 1.0
    values *= 0.5
    return values


def _softmax(values: FloatArray) -> FloatArray:
    values = values - values.max(axis=1, keepdims=True)
    np.exp(values, out=values)
    values /= values.sum(axis=1, keepdims=True)
    return values


ACTIVATIONS: dict[str, Callable[[FloatArray], FloatArray]] = {
    "identity": lambda values: values,
    "relu": lambda values: np.maximum(values, 0.0, out=values),
    "tanh": lambda values: np.tanh(values, out=values),
    "logistic": _logistic,
    "softmax": _softmax,
}
"""An MLP's activation functions, as scikit-learn names them."""


def network_outputs(estimator: Any, inputs: Any, *, hidden: bool = True) -> list[FloatArray]:
    """Each layer's output for `inputs` (the hidden layers' unless `hidden` is False, then
    the output layer's), as the MLP's own forward pass computes them."""
    outputs: list[FloatArray] = []
    values = inputs
    last = len(estimator.coefs_) - 1
    for index, (coef, intercept) in enumerate(
        zip(estimator.coefs_, estimator.intercepts_, strict=True)
    ):
        values = safe_sparse_dot(values, coef) + intercept
        name = estimator.out_activation_ if index == last else estimator.activation
        values = ACTIVATIONS[name](values)
        if hidden or index == last:
            outputs.append(values)
    return outputs


def layer_name(index: int, layers: int) -> str:
    """An MLP's layer `index` of `layers`: "hidden.<index>", or "output" for the last."""
    return "output" if index == layers - 1 else f"hidden.{index}"


def unit_vectors(activation: str, outputs: FloatArray) -> dict[str, FloatArray]:
    """Per-unit fractions of the probe's samples, as the torch hook computes them
    (`studio.debugger.vectors`): for ReLU units "active" (output > 0: DeadRelu, and the ReLU
    layers of PoorWeightInitialization), for logistic and tanh units "saturated"
    (SaturatedActivation)."""
    rows = len(outputs)
    if activation == "relu":
        return {"active": np.count_nonzero(outputs > 0, axis=0) / rows}
    if activation == "logistic":
        saturated = (outputs < 1 - SATURATION) | (outputs > SATURATION)
        return {"saturated": np.count_nonzero(saturated, axis=0) / rows}
    if activation == "tanh":
        return {"saturated": np.count_nonzero(np.abs(outputs) > SATURATION, axis=0) / rows}
    return {}


class _Tracer:
    """What the MLP and linear tracers share: the probe, the validation data, the updates."""

    def __init__(
        self,
        estimator: Any,
        probe: Batch,
        validation: Batch | None,
        classes: int | None,
        bins: Bins | None = None,
    ) -> None:
        self.estimator = estimator
        self.probe = probe
        self.validation = validation
        self.classes = classes
        self.bins = bins
        self.updates = Updates()

    def parameters(self) -> list[Parameter]:
        raise NotImplementedError

    def outputs(self, batch: Batch) -> FloatArray:
        """The model's output on `batch`: probabilities (MLP) or decision values (linear)."""
        raise NotImplementedError

    def loss(self, output: FloatArray, target: npt.NDArray[Any]) -> float:
        raise NotImplementedError

    threshold = 0.5
    """Where a binary classifier's single output column turns to the positive class."""

    def snapshot(self) -> None:
        """Call before an epoch whose record is full, for its updates (none before the
        first epoch: the estimator makes its parameters then)."""
        if self.fitted():
            self.updates.snapshot(self.parameters())

    def fitted(self) -> bool:
        raise NotImplementedError

    def _parameter_record(self, builder: RecordBuilder) -> None:
        parameters = self.parameters()
        for collection, name, array in parameters:
            builder.add(collection, name, array)
        for name, update in self.updates.since_snapshot(parameters):
            builder.add("updates", name, update)

    def _classes(
        self, builder: RecordBuilder, output: FloatArray, target: npt.NDArray[Any]
    ) -> None:
        if self.classes is None:
            builder.add("labels", "", target)
            builder.add("predictions", "", output)
        else:
            builder.add_classes(target, class_indices(output, self.threshold), self.classes)

    def eval_record(self, step: int) -> tuple[StepRecord, float, float] | None:
        """The validation loss and score at `step`, where there is validation data."""
        if self.validation is None:
            return None
        output = self.outputs(self.validation)
        target = self.validation.target
        loss = self.loss(output, target)
        if self.classes is None:
            score = r2(target, output)
        else:
            score = accuracy(target, class_indices(output, self.threshold))
        builder = RecordBuilder(scalars={"score": score})
        builder.add_loss(loss)
        return builder.build(step, "eval"), loss, score

    def epoch(self, step: int, full: bool = True) -> EpochRecords:
        """The records after epoch `step`: with `full`, every tensor; otherwise the losses
        (and the validation record) alone."""
        raise NotImplementedError

    def _finish(self, step: int, builder: RecordBuilder, loss: float) -> EpochRecords:
        builder.add_loss(loss)
        records = EpochRecords(train=builder.build(step, "train"), eval=None, loss=loss)
        evaluated = self.eval_record(step)
        if evaluated is not None:
            records.eval, records.val_loss, records.val_score = evaluated
        return records


class NetworkTracer(_Tracer):
    """An MLPClassifier's or MLPRegressor's records (see the module). The training loss is
    the estimator's `loss_`: the mean over the epoch's minibatches, with its L2 penalty."""

    def parameters(self) -> list[Parameter]:
        coefs, intercepts = self.estimator.coefs_, self.estimator.intercepts_
        found: list[Parameter] = []
        for index, (coef, intercept) in enumerate(zip(coefs, intercepts, strict=True)):
            layer = layer_name(index, len(coefs))
            found += [
                ("weights", f"{layer}.coef", coef),
                ("biases", f"{layer}.intercept", intercept),
            ]
        return found

    def outputs(self, batch: Batch) -> FloatArray:
        return network_outputs(self.estimator, batch.inputs, hidden=False)[-1]

    def loss(self, output: FloatArray, target: npt.NDArray[Any]) -> float:
        return network_loss(output, target, classifier=self.classes is not None)

    def fitted(self) -> bool:
        return hasattr(self.estimator, "coefs_")

    def epoch(self, step: int, full: bool = True) -> EpochRecords:
        builder = RecordBuilder(bins=self.bins)
        if full:
            self._parameter_record(builder)
            *hidden, output = network_outputs(self.estimator, self.probe.inputs)
            activation = self.estimator.activation
            for index, values in enumerate(hidden):
                vectors = unit_vectors(activation, values)
                builder.add("activations", f"hidden.{index}", values, vectors or None)
            self._classes(builder, output, self.probe.target)
        return self._finish(step, builder, float(self.estimator.loss_))


class LinearTracer(_Tracer):
    """An SGD-family estimator's records (see the module). The training loss is the
    estimator's loss function at the end of the epoch, without the penalty, on the rows of
    `train`: `watch` gives a fixed sample of the training data (`sklearn_watch.LOSS_ROWS`)."""

    threshold = 0.0

    def __init__(
        self,
        estimator: Any,
        probe: Batch,
        validation: Batch | None,
        classes: int | None,
        train: Batch,
        bins: Bins | None = None,
    ) -> None:
        super().__init__(estimator, probe, validation, classes, bins)
        self.train = train

    def parameters(self) -> list[Parameter]:
        coef = self.estimator.coef_
        intercept = np.atleast_1d(self.estimator.intercept_)
        return [("weights", "linear.coef", coef), ("biases", "linear.intercept", intercept)]

    def outputs(self, batch: Batch) -> FloatArray:
        coef = np.atleast_2d(self.estimator.coef_)
        intercept = np.atleast_1d(self.estimator.intercept_)
        decision: FloatArray = safe_sparse_dot(batch.inputs, coef.T) + intercept
        return decision

    def loss(self, output: FloatArray, target: npt.NDArray[Any]) -> float:
        epsilon = float(getattr(self.estimator, "epsilon", 0.1))
        return linear_loss(self.estimator.loss, output, target, epsilon=epsilon)

    def fitted(self) -> bool:
        return hasattr(self.estimator, "coef_")

    def epoch(self, step: int, full: bool = True) -> EpochRecords:
        builder = RecordBuilder(bins=self.bins)
        if full:
            self._parameter_record(builder)
            self._classes(builder, self.outputs(self.probe), self.probe.target)
        loss = self.loss(self.outputs(self.train), self.train.target)
        return self._finish(step, builder, loss)
