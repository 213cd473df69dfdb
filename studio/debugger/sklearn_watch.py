"""`watch`: train a scikit-learn estimator under the debugger's rules.

    from studio.debugger import watch

    result = watch(MLPClassifier(hidden_layer_sizes=(64,)), X, y, epochs=30,
                   validation_data=(X_val, y_val))
    result.findings, result.estimator, result.history["val_loss"]

- MLPClassifier, MLPRegressor and the SGD family (SGDClassifier, SGDRegressor, Perceptron,
  PassiveAggressive*) train one epoch per `partial_fit` call, for exactly `epochs` epochs
  (the estimator's own `max_iter` where `epochs` is None): its `tol` and `n_iter_no_change`
  do not apply, the rules do. After epoch n (step n) the session gets a "train" record
  with the training loss "losses/loss" and, at the epochs `every` picks (`Interval`), every
  tensor: weights, biases, their updates over that epoch, the probe batch's activations,
  labels and predictions; and, with `validation_data`, an "eval" record (the validation
  loss "losses/loss" and the step scalar "score"). See `sklearn_tracers` for the names and
  `sklearn_losses` for the losses.
- GradientBoostingClassifier and GradientBoostingRegressor train through `fit` with a
  `monitor`; `epochs`, where given, is `n_estimators`. See `sklearn_boosting`.

The probe batch is `probe_size` rows of `X` drawn once (all of them where there are fewer):
the activations, labels and predictions that the rules read are the model's on those rows,
the same rows at every epoch, so that a record needs a forward pass of a few hundred rows,
not of the training set. The training loss is the MLP's own `loss_`; an SGD model reports
none, so its loss function is evaluated at each epoch on a fixed sample of `LOSS_ROWS` rows
of X (all of them where there are fewer), drawn once like the probe: on all of X it would
cost some 4% of every epoch however large X is (a product and the loss on each row, beside
the epoch's one pass over them), where a fixed sample costs a fixed product; the same rows
at every epoch keep the curve free of sampling noise from epoch to epoch, which the loss
rules (LossNotDecreasing, Overtraining) compare. The tracer computes on one BLAS thread
(`one_blas_thread`).

A rule with the "stop" action ends the training after the epoch (or stage) it fired on;
the result's `stopped` says so. `run` is a `studio.Run` whose store keeps the records,
findings and rule states; None means the active run where one is active (inside
`studio.start_run()`), otherwise memory alone; False means memory alone.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from sklearn.base import is_classifier, is_regressor
from sklearn.utils import _safe_indexing, check_array

from studio.debugger.session import DebugSession
from studio.debugger.sklearn_boosting import BoostingMonitor
from studio.debugger.sklearn_records import Batch, EpochRecords, one_blas_thread
from studio.debugger.sklearn_tracers import LinearTracer, NetworkTracer
from studio.debugger.stats import Bins

if TYPE_CHECKING:
    from studio.debugger.entities import Finding
    from studio.debugger.rules.base import Rule
    from studio.debugger.session import Sink

__all__ = ["LOSS_ROWS", "Interval", "WatchResult", "watch"]

PROBE_SIZE = 256
"""Rows in the probe batch by default: enough for DeadRelu's 1% activity threshold to mean
more than "never active", few enough that its forward pass is cheap beside an epoch."""

LOSS_ROWS = 512
"""Rows of X an SGD model's training loss is evaluated on (see the module)."""

OVERHEAD = 0.03
"""The share of the training time that `every="auto"` allows the full records."""

LONGEST = 100
"""`every="auto"` records every tensor at least this often (in epochs)."""


@dataclass
class WatchResult:
    """What `watch` answers: the fitted estimator, the session with its findings, and the
    per-epoch history (lists by key, one entry per epoch or stage: "step", "loss",
    "val_loss" and "val_score", the last two None without validation data)."""

    estimator: Any
    session: DebugSession
    epochs: int = 0
    stopped: bool = False
    history: dict[str, list[Any]] = field(
        default_factory=lambda: {"step": [], "loss": [], "val_loss": [], "val_score": []}
    )

    @property
    def findings(self) -> list[Finding]:
        """Every finding of the session's rules, in order."""
        return list(self.session.findings)

    def _add(self, step: int, records: EpochRecords) -> None:
        self.epochs = step
        self.history["step"].append(step)
        self.history["loss"].append(records.loss)
        self.history["val_loss"].append(records.val_loss)
        self.history["val_score"].append(records.val_score)


def watch(
    estimator: Any,
    X: Any,
    y: Any,
    epochs: int | None = None,
    validation_data: tuple[Any, Any] | None = None,
    run: Any = None,
    rules: str | Sequence[Rule] | None = "default",
    *,
    every: int | str = "auto",
    histograms: bool | Bins = False,
    probe_size: int = PROBE_SIZE,
    random_state: int | None = 0,
    fit_params: Mapping[str, Any] | None = None,
    sink: Sink | None = None,
    session: DebugSession | None = None,
    display: bool = True,
) -> WatchResult:
    """Train `estimator` on (X, y) under the debugger (see the module).

    `rules` is "default", None or a list of `Rule`s. `every` is how often an epoch's record
    holds every tensor, not only the losses (see `Interval`; GradientBoosting records every
    stage in full). `histograms` adds, to the full records, the histograms of the weights,
    biases, updates and activations: True for 64 bins over [-1, 1], or a `Bins`.
    `probe_size` rows of X (drawn with `random_state`) are the probe batch. `fit_params` go
    to every `partial_fit` (or to `fit`), e.g. sample_weight. `sink` replaces the run's
    store and `display` (the widget under the cell, or a printed line per finding) can be
    turned off, as in `DebugSession`; a `session` given is used as it is (its run, rules,
    sink and display) and left open.
    """
    family = _family(estimator)
    bins = Bins() if histograms is True else (histograms or None)
    owned = session is None
    if session is None:
        session = DebugSession(run=_run(run), rules=rules, sink=sink, display=display)
    result = WatchResult(estimator=estimator, session=session)
    try:
        classes = _classes(estimator, y)
        if probe_size < 1:
            raise ValueError(f"probe_size is at least 1, not {probe_size}.")
        probe = _batch(X, y, classes, _sample_rows(_rows(X), probe_size, random_state))
        validation = _batch(*validation_data, classes) if validation_data is not None else None
        count = None if classes is None else len(classes)
        if family == "boosting":
            monitor = BoostingMonitor(session, probe, validation, count, result._add, bins)
            _boost(estimator, X, y, epochs, session, monitor, result, fit_params)
        else:
            if family == "network":
                tracer: NetworkTracer | LinearTracer = NetworkTracer(
                    estimator, probe, validation, count, bins
                )
            else:
                train = _batch(X, y, classes, _sample_rows(_rows(X), LOSS_ROWS, random_state))
                tracer = LinearTracer(estimator, probe, validation, count, train, bins)
            total = int(estimator.max_iter) if epochs is None else epochs
            _epochs(estimator, X, y, total, every, classes, session, tracer, result, fit_params)
    finally:
        if owned:
            session.close()
    return result


class Interval:
    """Which epochs get a full record (the losses are recorded at every epoch).

    `every=N`: the first epoch, then every N-th, and the last. `every="auto"`: the first two
    epochs, then as often as keeps everything `watch` adds to the training (the losses'
    record at every epoch, and the full records' extra cost) under `OVERHEAD` of the
    training's time, and at least every `LONGEST` epochs. The costs are the smallest
    measured so far, which a busy machine's pauses do not inflate.
    """

    def __init__(self, every: int | str, total: int) -> None:
        if every != "auto" and (not isinstance(every, int) or every < 1):
            raise ValueError(f'every is "auto" or a number of epochs >= 1, not {every!r}.')
        self.auto = every == "auto"
        self.every = 1 if isinstance(every, str) else every
        self.total = total
        self._next = 1
        self._training = math.inf
        self._recording = math.inf
        self._light = math.inf

    def due(self, step: int) -> bool:
        if step in (1, self.total):
            return True
        return step >= self._next if self.auto else step % self.every == 0

    def measured(self, step: int, training: float, recording: float, full: bool = True) -> None:
        """The seconds epoch `step`'s training and its record (full or not) took."""
        if not self.auto:
            return
        if step > 1:  # the first epoch makes the model; its record has no updates
            self._training = min(self._training, training)
            if full:
                self._recording = min(self._recording, recording)
            else:
                self._light = min(self._light, recording)
        if full and self._training > 0 and math.isfinite(self._training):
            # Per epoch: light + (full - light) / every <= OVERHEAD * training.
            light = self._light if math.isfinite(self._light) else 0.0
            budget = OVERHEAD * self._training - light
            extra = max(0.0, self._recording - light)
            wanted = math.ceil(extra / budget) if budget > 0 else LONGEST
            # Until a light record has been measured, the next epoch is one, so that the
            # interval never rests on a light cost of nothing.
            shortest = 1 if math.isfinite(self._light) else 2
            self.every = min(LONGEST, max(shortest, wanted))
        if full:
            self._next = step + self.every


def _epochs(
    estimator: Any,
    X: Any,
    y: Any,
    total: int,
    every: int | str,
    classes: npt.NDArray[Any] | None,
    session: DebugSession,
    tracer: NetworkTracer | LinearTracer,
    result: WatchResult,
    fit_params: Mapping[str, Any] | None,
) -> None:
    params = dict(fit_params or {})
    interval = Interval(every, total)
    for step in range(1, total + 1):
        full = interval.due(step)
        if full:
            tracer.snapshot()
        started = time.perf_counter()
        if step == 1 and classes is not None:
            estimator.partial_fit(X, y, classes=classes, **params)
        else:
            estimator.partial_fit(X, y, **params)
        trained = time.perf_counter()
        with one_blas_thread():
            records = tracer.epoch(step, full)
        session.submit(records.train)
        if records.eval is not None:
            session.submit(records.eval)
        interval.measured(step, trained - started, time.perf_counter() - trained, full)
        result._add(step, records)
        if session.should_stop:
            result.stopped = step < total
            return


def _boost(
    estimator: Any,
    X: Any,
    y: Any,
    epochs: int | None,
    session: DebugSession,
    monitor: BoostingMonitor,
    result: WatchResult,
    fit_params: Mapping[str, Any] | None,
) -> None:
    if epochs is not None:
        estimator.set_params(n_estimators=epochs)
    estimator.fit(X, y, monitor=monitor, **dict(fit_params or {}))
    result.stopped = session.should_stop and result.epochs < estimator.n_estimators


def _family(estimator: Any) -> str:
    """Which of watch's ways to train fits `estimator` (TypeError for the others)."""
    from sklearn.ensemble import GradientBoostingClassifier, GradientBoostingRegressor
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    if isinstance(estimator, (MLPClassifier, MLPRegressor)):
        return "network"
    if isinstance(estimator, (GradientBoostingClassifier, GradientBoostingRegressor)):
        return "boosting"
    supervised = is_classifier(estimator) or is_regressor(estimator)
    if supervised and isinstance(getattr(estimator, "loss", None), str):
        from sklearn.linear_model._stochastic_gradient import BaseSGD

        if isinstance(estimator, BaseSGD):
            return "linear"
    raise TypeError(
        "watch trains MLPClassifier, MLPRegressor, the SGD family (SGDClassifier, "
        "SGDRegressor, Perceptron, PassiveAggressive*) and GradientBoostingClassifier/"
        f"Regressor, not {type(estimator).__name__}."
    )


def _classes(estimator: Any, y: Any) -> npt.NDArray[Any] | None:
    """A classifier's classes, sorted as scikit-learn sorts them (None for a regressor)."""
    if not is_classifier(estimator):
        return None
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"watch trains single-label classifiers: y has shape {labels.shape}.")
    return np.unique(labels)


def _run(run: Any) -> Any:
    """The run the records go to: `run`; for None the active run, if the tracking API is
    loaded and has one; for False none."""
    if run is False:
        return None
    if run is not None:
        return run
    # Never imported here: where the tracking API was not imported, no run can be active,
    # and a training machine with numpy and scikit-learn alone stays without the server stack.
    fluent = sys.modules.get("studio.tracking.fluent")
    return fluent.active_run() if fluent is not None else None


def _rows(X: Any) -> int:
    return int(X.shape[0]) if hasattr(X, "shape") else len(X)


def _sample_rows(rows: int, size: int, random_state: int | None) -> npt.NDArray[np.intp]:
    """`size` of `rows` row indices drawn with `random_state`, sorted (all where fewer)."""
    if rows <= size:
        return np.arange(rows)
    return np.sort(np.random.default_rng(random_state).choice(rows, size=size, replace=False))


def _batch(
    X: Any, y: Any, classes: npt.NDArray[Any] | None, rows: npt.NDArray[np.intp] | None = None
) -> Batch:
    """Rows of (X, y) as the tracers read them (see `Batch`); all of them without `rows`."""
    inputs = X if rows is None else _safe_indexing(X, rows)
    target = np.asarray(y if rows is None else _safe_indexing(y, rows))
    inputs = check_array(inputs, accept_sparse="csr", dtype=np.float64)
    if classes is None:
        return Batch(inputs, target.astype(np.float64))
    indices = np.searchsorted(classes, target)
    known = indices < len(classes)
    known[known] = classes[indices[known]] == target[known]
    if not known.all():
        raise ValueError(f"Labels {np.unique(target[~known])} are not among y's classes.")
    return Batch(inputs, indices.astype(np.intp))
