"""`studio.autolog()`: scikit-learn estimators log themselves.

    studio.autolog()
    GridSearchCV(SVC(), {"C": [0.1, 1, 10]}).fit(X, y)   # a parent run, one child per candidate

Each class of scikit-learn that defines `fit`, `fit_transform` or `fit_predict` has that
definition wrapped once; `autolog(disable=True)` puts every original back. Only the outermost
fit logs: a Pipeline's steps, a search's candidates and a meta-estimator's inner estimators
run unlogged inside it. Only the user's fits log: those scikit-learn makes inside its own
functions (a metric's LabelEncoder, `compute_class_weight`, `cross_val_predict`'s folds) and
those Studio makes (`studio.evaluate`'s folds, the debugger's `watch`) are told apart by the
frames that lead to them (`autolog_frames`), not by a list of classes.
A fit logs into the active run, or starts (and ends) a run of its own.

Besides params, training metrics and the model, a fit records what MLflow 3's autolog does
(`autolog_records`): the estimator's HTML diagram, the training dataset (`datasets`) and, for a
classifier, confusion-matrix, ROC and PR figures on the training data; the model's folder holds
requirements.txt (`environment`). After the fit, the user's `.score` and `sklearn.metrics` calls
on the model's predictions log to the run that trained it (`autolog_metrics`).

Logging never breaks a fit: whatever goes wrong while logging becomes an `AutologWarning`, and
the fit's own result (or its exception) reaches the caller unchanged.
"""

from __future__ import annotations

import functools
import inspect
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import FrameType, ModuleType
from typing import Any

import sklearn.model_selection
from sklearn.base import is_classifier
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, _validation
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._search_successive_halving import (
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
)
from sklearn.pipeline import Pipeline
from sklearn.utils.discovery import all_estimators

from studio.tracking import autolog_metrics, autolog_records
from studio.tracking import sklearn_payload as payload
from studio.tracking.autolog_frames import fitted_by_sklearn, in_sklearn, in_studio
from studio.tracking.autolog_guard import AutologWarning
from studio.tracking.autolog_guard import guard as _guard
from studio.tracking.autolog_records import AUTOLOG_TAG, log_new_params
from studio.tracking.fluent import Run, active_run, start_run
from studio.tracking.signature import head, is_table

__all__ = ["AutologWarning", "autolog"]

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
# cross_validate's options that add the folds' models and rows to its results, and their keys.
_CV_EXTRAS = {"return_estimator": "estimator", "return_indices": "indices"}


@dataclass(frozen=True)
class _Settings:
    log_models: bool
    log_training_metrics: bool
    experiment: str | None
    tracking_uri: str | None
    log_datasets: bool
    log_post_training_metrics: bool


class _Patches:
    """The wrapped definitions and their originals, so that disabling restores them exactly."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settings: _Settings | None = None
        self.methods: list[tuple[type, str, Any]] = []
        self.functions: list[tuple[ModuleType, str, Any]] = []
        self.metrics = autolog_metrics.Patched()  # score, predictions, sklearn.metrics


_patches = _Patches()

# Held while the outermost autologged call runs. It is process-wide, not per thread: fits that
# joblib's threading backend (or IsolationForest's worker threads) runs for that call belong to
# it, and the active run they would otherwise log into is process-wide too. A fork inherits it
# held, so a forked worker's fits stay unlogged as well.
_outermost = threading.Lock()


def autolog(
    disable: bool = False,
    log_models: bool = True,
    log_training_metrics: bool = True,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    log_datasets: bool = True,
    log_post_training_metrics: bool = True,
) -> None:
    """Log every scikit-learn fit, search and `cross_validate` call from now on.

    A fit logs its parameters (`get_params(deep=True)`), training metrics (`training_score`,
    and accuracy/precision/recall/F1/log loss/ROC AUC for classifiers or MSE/RMSE/MAE/R² for
    regressors), the fitted model as the artifact "model" (with requirements.txt), the diagram
    `estimator.html`, the training data as a dataset (`log_datasets`: tags `studio.datasets`
    and `studio.dataset`) and, for classifiers, an evaluation "training" with confusion-matrix,
    ROC and PR figures. A search (`GridSearchCV`, `RandomizedSearchCV`, the halving searches)
    also logs `best_*` params, `best_score`, `cv_results.csv` and one finished child run per
    candidate; `cross_validate` (and `cross_val_score`) logs per-fold `cv_*` metrics with the
    fold as step, and their mean and std.

    After the fit (`log_post_training_metrics`), the model's `score(X, y)` logs
    `<Class>_score_<X>`, and a `sklearn.metrics` function called on its predictions logs
    `<metric>_<X>`, to the run that trained it, with X as an "eval" dataset
    (`studio.tracking.autolog_metrics`).

    Fits log into the active run; without one each starts a run in `experiment` (default: as
    `start_run`) on `tracking_uri` (default: the environment's store). Calling `autolog()` again
    changes these settings; `autolog(disable=True)` restores scikit-learn as it was (and the
    metric functions that `autolog()` rebound in its caller's namespace).
    Fits started on other threads while an autologged call runs are taken as part of it and not
    logged, and so are fits that scikit-learn makes inside its own functions (metrics such as
    `f1_score` fit a LabelEncoder). A search's child runs carry the parent's Studio tags
    (`studio.user`) and source. Call `autolog()` before
    `from sklearn.model_selection import cross_validate`: that name, imported earlier, keeps
    the unwrapped function. Metric functions imported earlier keep theirs too, except in the
    module (or notebook) calling `autolog()`, where they are rebound to logging ones.
    """
    namespace = autolog_metrics.caller_namespace(sys._getframe(1))
    with _patches.lock:
        if disable:
            _patches.settings = None
            _restore()
            return
        _patches.settings = _Settings(
            log_models,
            log_training_metrics,
            experiment,
            tracking_uri,
            log_datasets,
            log_post_training_metrics,
        )
        try:
            if not _patches.methods:
                _patch()
            autolog_metrics.patch_metric_functions(namespace, _patches.metrics)
        except BaseException:
            _restore()
            raise


# Patching ---------------------------------------------------------------------------------


def _estimator_classes() -> list[type]:
    classes: list[type] = [cls for _, cls in all_estimators()]
    return [
        *classes,
        Pipeline,
        GridSearchCV,
        RandomizedSearchCV,
        HalvingGridSearchCV,
        HalvingRandomSearchCV,
    ]


def _patch() -> None:
    seen: set[tuple[type, str]] = set()
    for estimator_class in _estimator_classes():
        for cls in estimator_class.__mro__:
            if not cls.__module__.startswith("sklearn."):
                continue
            for name in FIT_METHODS:
                original = cls.__dict__.get(name)
                if original is None or (cls, name) in seen:
                    continue
                seen.add((cls, name))
                replacement = _wrapped_definition(original)
                if replacement is not None:
                    _patches.methods.append((cls, name, original))
                    setattr(cls, name, replacement)
    # cross_val_score reaches cross_validate through `_validation`'s namespace.
    for module in (_validation, sklearn.model_selection):
        original = module.cross_validate
        _patches.functions.append((module, "cross_validate", original))
        setattr(module, "cross_validate", _wrap_cross_validate(original))  # noqa: B010
    autolog_metrics.patch_methods(_estimator_classes(), _patches.metrics)


def _wrapped_definition(original: Any) -> Any:
    # A property (LocalOutlierFactor.fit_predict) is left alone: it reaches a wrapped fit.
    return autolog_metrics.wrap_definition(original, _wrap_fit)


def _restore() -> None:
    for cls, name, original in reversed(_patches.methods):
        setattr(cls, name, original)
    for module, name, original in reversed(_patches.functions):
        setattr(module, name, original)
    _patches.methods.clear()
    _patches.functions.clear()
    _patches.metrics.restore()
    autolog_metrics.forget()


def _wrap_fit(fit: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fit)
    def autologged_fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        settings = _patches.settings
        if settings is None or not _outermost.acquire(blocking=False):
            return fit(self, *args, **kwargs)
        try:
            caller = sys._getframe(1)
            if fitted_by_sklearn(self, caller):
                # Held meanwhile, so that the fits this one makes stay unlogged too.
                return fit(self, *args, **kwargs)
            with autolog_metrics.quiet():
                return _logged_fit(fit, self, args, kwargs, settings, caller)
        finally:
            _outermost.release()

    return autologged_fit


def _wrap_cross_validate(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def cross_validate(*args: Any, **kwargs: Any) -> Any:
        settings = _patches.settings
        if settings is None or not _outermost.acquire(blocking=False):
            return original(*args, **kwargs)
        try:
            caller = _user_frame(sys._getframe(1))
            if caller is not None and in_studio(caller):  # studio.evaluate's: not the user's
                return original(*args, **kwargs)
            with autolog_metrics.quiet():
                return _logged_cross_validate(original, args, kwargs, settings, caller)
        finally:
            _outermost.release()

    return cross_validate


# Logging a fit ----------------------------------------------------------------------------


def _logged_fit(
    fit: Callable[..., Any],
    estimator: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: _Settings,
    caller: FrameType,
) -> Any:
    name = type(estimator).__name__
    run, owned = _open_run(estimator, name, {}, {}, settings)
    if run is None:
        return fit(estimator, *args, **kwargs)
    result = _call_in_run(run, owned, fit, estimator, *args, **kwargs)
    try:
        _guard(
            f"the fit of {name}", _log_fitted, run, fit, estimator, args, kwargs, settings, caller
        )
    finally:
        if owned:
            _guard(f"the end of the run of {name}", run.end, "FINISHED")
    return result


def _log_fitted(
    run: Run,
    fit: Callable[..., Any],
    estimator: Any,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: _Settings,
    caller: FrameType,
) -> None:
    """What a fit leaves behind: search results, training metrics, the training dataset, the
    diagram, the figures, the model; each on its own, so that one failing does not lose the
    others."""
    name = type(estimator).__name__
    search = isinstance(estimator, BaseSearchCV)
    if search:
        _guard(f"the search results of {name}", autolog_records.log_search, run, estimator)
    X, y, sample_weight = _training_data(fit, estimator, args, kwargs)
    model = getattr(estimator, "best_estimator_", None) if search else estimator
    if settings.log_training_metrics:
        metrics: dict[str, float] = {}
        _guard(
            f"training metrics of {name}",
            _log_training_metrics,
            run,
            estimator,
            X,
            y,
            sample_weight,
            metrics,
        )
        if model is not None:
            _guard(
                f"the training figures of {name}",
                autolog_records.log_training_evaluation,
                run,
                model,
                X,
                y,
                metrics,
            )
    _log_inputs(run, estimator, X, y, caller, settings)
    if settings.log_models and model is not None:
        # The fit's first rows type the signature and become the input example.
        example = head(X) if is_table(X) else None
        _guard(f"the model {name}", run.log_model, model, "model", input_example=example)
    if settings.log_post_training_metrics:
        for trained in (estimator, model):
            if trained is not None:
                autolog_metrics.track(trained, run)


def _log_inputs(
    run: Run, estimator: Any, X: Any, y: Any, caller: FrameType | None, settings: _Settings
) -> None:
    """The training data as a dataset (named as the user's code names it) and the diagram."""
    name = type(estimator).__name__
    if settings.log_datasets:
        dataset = autolog_metrics.variable_name(X, _user_frame(caller))
        _guard(
            f"the training dataset of {name}",
            autolog_records.log_training_dataset,
            run,
            X,
            y,
            dataset,
        )
    _guard(f"the diagram of {name}", autolog_records.log_estimator_html, run, estimator)


def _logged_cross_validate(
    original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: _Settings,
    caller: FrameType | None,
) -> Any:
    try:
        arguments = _bind(original, args, kwargs)
    except TypeError:
        return original(*args, **kwargs)  # let scikit-learn report the bad call
    estimator = arguments.get("estimator")
    name = type(estimator).__name__
    extra = {
        "cross_validate.cv": payload.param_text(arguments.get("cv")),
        "cross_validate.scoring": payload.param_text(arguments.get("scoring")),
    }
    run, owned = _open_run(
        estimator,
        f"{name} cross_validate",
        extra,
        {f"{AUTOLOG_TAG}.function": "cross_validate"},
        settings,
    )
    if run is None:
        return original(*args, **kwargs)
    # The folds' models and test rows draw the figures on out-of-fold predictions; the
    # caller gets them only where it asked.
    added = (
        [key for key in _CV_EXTRAS if not arguments.get(key)]
        if settings.log_training_metrics and is_classifier(estimator)
        else []
    )
    call = {**kwargs, **dict.fromkeys(added, True)}
    results = _call_in_run(run, owned, original, *args, **call)
    try:
        _guard(
            f"the cross-validation results of {name}", autolog_records.log_cv_results, run, results
        )
        X, y = arguments.get("X"), arguments.get("y")
        if settings.log_training_metrics and is_classifier(estimator):
            _guard(
                f"the cross-validation figures of {name}",
                autolog_records.log_cv_evaluation,
                run,
                estimator,
                results,
                X,
                y,
            )
        _log_inputs(run, estimator, X, y, caller, settings)
    finally:
        for key in added:
            results.pop(_CV_EXTRAS[key], None)
        if owned:
            _guard(f"the end of the run of {name}", run.end, "FINISHED")
    return results


def _open_run(
    estimator: Any,
    run_name: str,
    extra_params: dict[str, str],
    extra_tags: dict[str, str],
    settings: _Settings,
) -> tuple[Run | None, bool]:
    """The active run, or a new one; params and tags are logged before the fit, so that a
    failed fit keeps them."""
    params = {
        **(_guard(f"the params of {run_name}", payload.flat_params, estimator) or {}),
        **extra_params,
    }
    tags = {AUTOLOG_TAG: "sklearn", **payload.estimator_tags(estimator), **extra_tags}
    run = active_run()
    if run is not None:
        _guard(f"the tags of {run_name}", run.set_tags, tags)
        _guard(f"the params of {run_name}", log_new_params, run, params)
        return run, False
    started = _guard(
        f"a run for {run_name}",
        start_run,
        settings.experiment,
        run_name,
        params,
        tags,
        tracking_uri=settings.tracking_uri,
    )
    return started, started is not None


def _call_in_run(
    run: Run, owned: bool, function: Callable[..., Any], /, *args: Any, **kwargs: Any
) -> Any:
    try:
        return function(*args, **kwargs)
    except BaseException as exc:
        if owned:
            status = "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED"
            _guard("the end of a failed run", run.end, status)
        raise


# What gets logged -------------------------------------------------------------------------


def _training_data(
    fit: Callable[..., Any], estimator: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Any, Any]:
    """X, y and sample_weight as the fit received them (by position or by name)."""
    try:
        arguments = _bind(fit, (estimator, *args), kwargs)
    except (TypeError, ValueError):  # an unusual signature: fall back on positions
        return (args[0] if args else None), (args[1] if len(args) > 1 else None), None
    names = [name for name in _signature(fit).parameters if name != "self"]
    X = arguments.get(names[0]) if names else None
    y = arguments.get("y", arguments.get("Y"))
    fit_params = arguments.get("params", arguments.get("fit_params", {}))
    sample_weight = arguments.get("sample_weight")
    if sample_weight is None and isinstance(fit_params, Mapping):
        sample_weight = fit_params.get("sample_weight")
    return X, y, sample_weight


def _log_training_metrics(
    run: Run, estimator: Any, X: Any, y: Any, sample_weight: Any, computed: dict[str, float]
) -> None:
    """Log the training metrics and add them to `computed` (the training figures' summary)."""
    if X is None or isinstance(X, Iterator):  # a generator was consumed by the fit
        return
    if isinstance(estimator, BaseSearchCV) and not hasattr(estimator, "best_estimator_"):
        return  # refit=False: nothing was fitted on the whole training set
    metrics, failures = payload.training_metrics(estimator, X, y, sample_weight)
    run.log_metrics(metrics)
    computed.update(metrics)
    if failures:
        raise ValueError("; ".join(failures))


def _user_frame(frame: FrameType | None) -> FrameType | None:
    """The first frame outside scikit-learn: where the user called fit or cross_validate."""
    while frame is not None and in_sklearn(frame):
        frame = frame.f_back
    return frame


@functools.cache
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


def _bind(
    function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    return dict(_signature(function).bind(*args, **kwargs).arguments)
