"""Post-training metrics: what the user measures on a model autolog logged, logged to the run
that trained it (even after that run ended), as MLflow 3 does.

    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train)
    model.score(X_test, y_test)                  # Pipeline_score_X_test
    pred = model.predict(X_test)
    accuracy_score(y_test, pred)                 # accuracy_score_X_test
    accuracy_score(y_test, pred)                 # accuracy_score-2_X_test
    roc_auc_score(y_test, model.predict_proba(X_test)[:, 1])   # roc_auc_score_X_test

A fitted model is remembered (weakly) with its run. Its `score` logs `<Class>_score_<X>`; its
`predict`, `predict_proba`, `predict_log_proba` and `decision_function` results are remembered
with the data they came from, and a metric of `sklearn.metrics` called on one of them, or on a
view of one (a column slice shares its memory), logs `<metric>_<X>`. `<X>` is the name the
caller's code gives the data (`unknown_dataset` for an expression), suffixed `-2`... when one
name held other data before. The data becomes the run's "eval" dataset.

Metric functions are wrapped where `sklearn.metrics` holds them, and in the module that called
`autolog()` (a notebook's namespace) where a name there is bound to one of them: a name imported
before `autolog()` in any other module keeps the unwrapped function and logs nothing.
Calls made by scikit-learn or Studio themselves (a metric inside `score`, a scorer inside
`permutation_importance`, `studio.evaluate`) are not the user's and log nothing.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import math
import sys
import threading
import weakref
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import FrameType, ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import sklearn.metrics

from studio.tracking.autolog_frames import in_sklearn, in_studio
from studio.tracking.autolog_guard import guard
from studio.tracking.datasets import describe_dataset, log_dataset
from studio.tracking.sklearn_payload import param_key

if TYPE_CHECKING:
    from studio.tracking.fluent import Run

__all__ = [
    "PREDICTION_METHODS",
    "Patched",
    "caller_namespace",
    "forget",
    "patch_methods",
    "patch_metric_functions",
    "quiet",
    "track",
    "variable_name",
    "wrap_definition",
]

PREDICTION_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
SCORE_METHOD = "score"
UNKNOWN_DATASET = "unknown_dataset"
_METRIC_SUFFIXES = ("_score", "_error", "_loss", "_deviance")
_OTHER_METRICS = ("matthews_corrcoef",)
_MAX_BASES = 4  # how far a view's `.base` chain is followed back to a prediction


@dataclass
class _RunLog:
    """A run's post-training metrics so far: how often each was logged, which data each
    dataset name stood for, which eval datasets it lists."""

    run: Run
    calls: Counter[str] = field(default_factory=Counter)
    names: dict[str, list[str]] = field(default_factory=dict)  # variable name -> digests
    eval_digests: set[str] = field(default_factory=set)


@dataclass
class _Prediction:
    log: _RunLog
    X: Any  # held while the prediction lives, to describe it as an eval dataset
    name: str
    refs: list[weakref.ReferenceType[Any]]


class _State:
    def __init__(self) -> None:
        self.models: dict[int, tuple[weakref.ReferenceType[Any], _RunLog]] = {}
        self.predictions: dict[int, _Prediction] = {}
        # A run's log lives as long as a model or prediction of the run refers to it.
        self.runs: weakref.WeakValueDictionary[str, _RunLog] = weakref.WeakValueDictionary()
        self.local = threading.local()


_state = _State()


@dataclass
class Patched:
    """What was wrapped, to put back: methods, module attributes, names in namespaces."""

    methods: list[tuple[type, str, Any]] = field(default_factory=list)
    attributes: list[tuple[ModuleType, str, Any]] = field(default_factory=list)
    names: list[tuple[dict[str, Any], str, Any, Any]] = field(default_factory=list)

    def restore(self) -> None:
        for cls, name, original in reversed(self.methods):
            setattr(cls, name, original)
        for module, name, original in reversed(self.attributes):
            setattr(module, name, original)
        for namespace, name, wrapped, original in reversed(self.names):
            if namespace.get(name) is wrapped:  # rebound by the user since: theirs now
                namespace[name] = original
        self.methods.clear()
        self.attributes.clear()
        self.names.clear()


# Remembering models and their predictions --------------------------------------------------


def track(model: Any, run: Run) -> None:
    """Remember that `run` trained `model`: its later scores and metrics log there."""
    log = _state.runs.get(run.id)
    if log is None:
        log = _state.runs[run.id] = _RunLog(run)
    key = id(model)

    def forget_model(ref: weakref.ReferenceType[Any]) -> None:
        entry = _state.models.get(key)
        if entry is not None and entry[0] is ref:
            _state.models.pop(key, None)

    try:
        _state.models[key] = (weakref.ref(model, forget_model), log)
    except TypeError:  # an object without weak references: not followed
        return


def forget() -> None:
    """Forget every model and prediction (autolog is disabled)."""
    _state.models.clear()
    _state.predictions.clear()
    _state.runs.clear()


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Calls inside this block (autolog's own fits and training metrics, a metric that `score`
    calls) record and log nothing."""
    local = _state.local
    local.depth = getattr(local, "depth", 0) + 1
    try:
        yield
    finally:
        local.depth -= 1


def _busy() -> bool:
    return bool(getattr(_state.local, "depth", 0))


def _trained(model: Any) -> _RunLog | None:
    entry = _state.models.get(id(model))
    if entry is None or entry[0]() is not model:
        return None
    return entry[1]


def _remember(prediction: Any, log: _RunLog, X: Any, name: str) -> None:
    """Remember a prediction, and the array it is a view of (its slices share that `.base`)."""
    record = _Prediction(log, X, name, [])
    for item in (prediction, getattr(prediction, "base", None)):
        if item is None:
            continue
        key = id(item)

        def forget_prediction(ref: weakref.ReferenceType[Any], key: int = key) -> None:
            entry = _state.predictions.get(key)
            if entry is not None and any(own is ref for own in entry.refs):
                _state.predictions.pop(key, None)

        try:
            ref = weakref.ref(item, forget_prediction)
        except TypeError:  # a list: not followed
            continue
        record.refs.append(ref)
        _state.predictions[key] = record


def _prediction_in(values: Iterator[Any]) -> _Prediction | None:
    for value in values:
        item = value
        for _ in range(_MAX_BASES):
            if item is None:
                break
            record = _state.predictions.get(id(item))
            if record is not None and any(ref() is item for ref in record.refs):
                return record
            item = getattr(item, "base", None) if isinstance(item, np.ndarray) else None
    return None


# Patching ----------------------------------------------------------------------------------


def wrap_definition(original: Any, wrap: Callable[[Any], Any]) -> Any:
    """`original` (a function, or scikit-learn's `available_if` descriptor around one) with its
    function wrapped; None for what cannot be wrapped (a property)."""
    if inspect.isfunction(original):
        return wrap(original)
    function = getattr(original, "fn", None)
    if inspect.isfunction(function) and hasattr(original, "__get__"):
        # Wrapping the function it guards keeps hasattr() answering as before.
        descriptor = copy.copy(original)
        descriptor.fn = wrap(function)
        return descriptor
    return None


def patch_methods(classes: list[type], patched: Patched) -> None:
    """Wrap `score` and the prediction methods of scikit-learn's classes (each definition once)."""
    seen: set[tuple[type, str]] = set()
    for estimator_class in classes:
        for cls in estimator_class.__mro__:
            if not cls.__module__.startswith("sklearn."):
                continue
            for name in (SCORE_METHOD, *PREDICTION_METHODS):
                original = cls.__dict__.get(name)
                if original is None or (cls, name) in seen:
                    continue
                seen.add((cls, name))
                after = _after_score if name == SCORE_METHOD else _after_prediction
                replacement = wrap_definition(
                    original, functools.partial(_wrap_method, after=after)
                )
                if replacement is not None:
                    patched.methods.append((cls, name, original))
                    setattr(cls, name, replacement)


def patch_metric_functions(namespace: dict[str, Any] | None, patched: Patched) -> None:
    """Wrap the metrics of `sklearn.metrics` (once), and the names in `namespace` bound to them."""
    wrapped_of: dict[int, tuple[Any, Any]] = {}
    for _, name, original in patched.attributes:
        wrapped_of[id(original)] = (getattr(sklearn.metrics, name), original)
    if not patched.attributes:
        for name in sklearn.metrics.__all__:
            original = getattr(sklearn.metrics, name, None)
            if not inspect.isfunction(original) or not _is_metric(name):
                continue
            wrapped = _wrap_metric(original)
            patched.attributes.append((sklearn.metrics, name, original))
            setattr(sklearn.metrics, name, wrapped)
            wrapped_of[id(original)] = (wrapped, original)
    if namespace is None:
        return
    for name, value in list(namespace.items()):
        found = wrapped_of.get(id(value))
        if found is not None and found[1] is value:
            namespace[name] = found[0]
            patched.names.append((namespace, name, found[0], value))


def caller_namespace(frame: FrameType | None) -> dict[str, Any] | None:
    """The globals of the first frame outside Studio: the module (or notebook) calling autolog."""
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("studio"):
        frame = frame.f_back
    return None if frame is None else frame.f_globals


def _is_metric(name: str) -> bool:
    return name.endswith(_METRIC_SUFFIXES) or name in _OTHER_METRICS


After = Callable[[Any, _RunLog, Any, tuple[Any, ...], dict[str, Any], FrameType], None]


def _wrap_method(method: Callable[..., Any], after: After) -> Callable[..., Any]:
    """`method` of a model autolog trained, followed by `after` when the user called it."""

    @functools.wraps(method)
    def followed(self: Any, *args: Any, **kwargs: Any) -> Any:
        if not _state.models or _busy():
            return method(self, *args, **kwargs)
        log = _trained(self)
        if log is None:
            return method(self, *args, **kwargs)
        with quiet():
            result = method(self, *args, **kwargs)
        caller = sys._getframe(1)
        if _from_user(caller):
            guard(f"a call of {method.__name__}", after, self, log, result, args, kwargs, caller)
        return result

    return followed


def _after_prediction(
    model: Any,
    log: _RunLog,
    result: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    caller: FrameType,
) -> None:
    X = args[0] if args else kwargs.get("X")
    _remember(result, log, X, variable_name(X, caller))


def _after_score(
    model: Any,
    log: _RunLog,
    result: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    caller: FrameType,
) -> None:
    X = args[0] if args else kwargs.get("X")
    y = args[1] if len(args) > 1 else kwargs.get("y", kwargs.get("Y"))
    _log(log, f"{type(model).__name__}_score", result, X, y, variable_name(X, caller))


def _wrap_metric(function: Callable[..., Any]) -> Callable[..., Any]:
    name = function.__name__

    @functools.wraps(function)
    def logged_metric(*args: Any, **kwargs: Any) -> Any:
        if not _state.predictions or _busy():
            return function(*args, **kwargs)
        record = _prediction_in(iter((*args, *kwargs.values())))
        if record is None:
            return function(*args, **kwargs)
        with quiet():
            result = function(*args, **kwargs)
        if _from_user(sys._getframe(1)):
            y_true = args[0] if args else kwargs.get("y_true")
            _log(record.log, name, result, record.X, y_true, record.name)
        return result

    return logged_metric


def _from_user(frame: FrameType) -> bool:
    return not in_sklearn(frame) and not in_studio(frame)


def variable_name(value: Any, frame: FrameType | None) -> str:
    """The caller's name for `value` (not IPython's `_`, `_5` output history)."""
    if value is None or frame is None:
        return UNKNOWN_DATASET
    for name, bound in frame.f_locals.items():
        if bound is value and not name.startswith("_"):
            return name
    return UNKNOWN_DATASET


# Logging -----------------------------------------------------------------------------------


def _log(log: _RunLog, metric: str, value: Any, X: Any, y: Any, name: str) -> None:
    if not _is_number(value):
        return
    guard(f"the metric {metric} on {name}", _log_metric, log, metric, value, X, y, name)


def _log_metric(log: _RunLog, metric: str, value: Any, X: Any, y: Any, name: str) -> None:
    info = describe_dataset(X, y, name=name, context="eval") if X is not None else None
    dataset = _dataset_name(log, name, info["digest"] if info else "")
    calls = log.calls[f"{metric}_{dataset}"] = log.calls[f"{metric}_{dataset}"] + 1
    key = param_key(f"{metric}{'' if calls == 1 else f'-{calls}'}_{dataset}")
    log.run.log_metric(key, float(value))
    if info is not None and info["digest"] not in log.eval_digests:
        log.eval_digests.add(info["digest"])
        log_dataset(log.run, {**info, "name": dataset})
    log.run.flush()


def _dataset_name(log: _RunLog, name: str, digest: str) -> str:
    """`name`, or `name-2`, `name-3`... where the name stood for other data before."""
    digests = log.names.setdefault(name, [])
    if digest not in digests:
        digests.append(digest)
    index = digests.index(digest)
    return name if index == 0 else f"{name}-{index + 1}"


def _is_number(value: Any) -> bool:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | float | np.number):
        return False
    return math.isfinite(float(value))
