"""`studio.autolog()`: scikit-learn estimators log themselves.

    studio.autolog()
    GridSearchCV(SVC(), {"C": [0.1, 1, 10]}).fit(X, y)   # a parent run, one child per candidate

Each class of scikit-learn that defines `fit`, `fit_transform` or `fit_predict` has that
definition wrapped once; `autolog(disable=True)` puts every original back. Only the outermost
fit logs: a Pipeline's steps, a search's candidates and a meta-estimator's inner estimators
run unlogged inside it. Only the user's fits log: those scikit-learn makes inside its own
functions (a metric's LabelEncoder, `compute_class_weight`, `cross_val_predict`'s folds) are
told apart by the frames that lead to them (`autolog_frames`), not by a list of classes.
A fit logs into the active run, or starts (and ends) a run of its own.

Logging never breaks a fit: whatever goes wrong while logging becomes an `AutologWarning`, and
the fit's own result (or its exception) reaches the caller unchanged.
"""

from __future__ import annotations

import copy
import csv
import functools
import inspect
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import sklearn.model_selection
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, _validation
from sklearn.model_selection._search import BaseSearchCV
from sklearn.model_selection._search_successive_halving import (
    HalvingGridSearchCV,
    HalvingRandomSearchCV,
)
from sklearn.pipeline import Pipeline
from sklearn.utils.discovery import all_estimators

from studio.tracking import sklearn_payload as payload
from studio.tracking.autolog_frames import fitted_by_sklearn
from studio.tracking.fluent import Run, active_run, start_run
from studio.tracking.signature import head, is_table

__all__ = ["AutologWarning", "autolog"]

FIT_METHODS = ("fit", "fit_transform", "fit_predict")
AUTOLOG_TAG = "studio.autolog"
_STUDIO_TAG_PREFIX = "studio."  # tags Studio sets on a run, not the user's own
_MAX_PARAMS_PER_CALL = 1000  # TrackingService.log_batch's limit


class AutologWarning(UserWarning):
    """Autolog could not log something; the fit itself went through unchanged."""


@dataclass(frozen=True)
class _Settings:
    log_models: bool
    log_training_metrics: bool
    experiment: str | None
    tracking_uri: str | None


class _Patches:
    """The wrapped definitions and their originals, so that disabling restores them exactly."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.settings: _Settings | None = None
        self.methods: list[tuple[type, str, Any]] = []
        self.functions: list[tuple[ModuleType, str, Any]] = []


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
) -> None:
    """Log every scikit-learn fit, search and `cross_validate` call from now on.

    A fit logs its parameters (`get_params(deep=True)`), training metrics (`training_score`,
    and accuracy/precision/recall/F1/log loss/ROC AUC for classifiers or MSE/RMSE/MAE/R² for
    regressors) and the fitted model as the artifact "model". A search (`GridSearchCV`,
    `RandomizedSearchCV`, the halving searches) also logs `best_*` params, `best_score`,
    `cv_results.csv` and one finished child run per candidate; `cross_validate` (and
    `cross_val_score`) logs per-fold `cv_*` metrics with the fold as step, and their mean and std.

    Fits log into the active run; without one each starts a run in `experiment` (default: as
    `start_run`) on `tracking_uri` (default: the environment's store). Calling `autolog()` again
    changes these settings; `autolog(disable=True)` restores scikit-learn as it was.
    Fits started on other threads while an autologged call runs are taken as part of it and not
    logged, and so are fits that scikit-learn makes inside its own functions (metrics such as
    `f1_score` fit a LabelEncoder). A search's child runs carry the parent's Studio tags
    (`studio.user`) and source. Call `autolog()` before
    `from sklearn.model_selection import cross_validate`: that name, imported earlier, keeps
    the unwrapped function.
    """
    with _patches.lock:
        if disable:
            _patches.settings = None
            _restore()
            return
        _patches.settings = _Settings(log_models, log_training_metrics, experiment, tracking_uri)
        if not _patches.methods:
            try:
                _patch()
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


def _wrapped_definition(original: Any) -> Any:
    if inspect.isfunction(original):
        return _wrap_fit(original)
    # scikit-learn's `available_if` descriptor (Pipeline.fit_transform): wrap the function it
    # guards, so that hasattr() still answers as before.
    function = getattr(original, "fn", None)
    if inspect.isfunction(function) and hasattr(original, "__get__"):
        descriptor = copy.copy(original)
        descriptor.fn = _wrap_fit(function)
        return descriptor
    return None  # a property (LocalOutlierFactor.fit_predict) reaches a wrapped fit anyway


def _restore() -> None:
    for cls, name, original in reversed(_patches.methods):
        setattr(cls, name, original)
    for module, name, original in reversed(_patches.functions):
        setattr(module, name, original)
    _patches.methods.clear()
    _patches.functions.clear()


def _wrap_fit(fit: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fit)
    def autologged_fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        settings = _patches.settings
        if settings is None or not _outermost.acquire(blocking=False):
            return fit(self, *args, **kwargs)
        try:
            if fitted_by_sklearn(self, sys._getframe(1)):
                # Held meanwhile, so that the fits this one makes stay unlogged too.
                return fit(self, *args, **kwargs)
            return _logged_fit(fit, self, args, kwargs, settings)
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
            return _logged_cross_validate(original, args, kwargs, settings)
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
) -> Any:
    name = type(estimator).__name__
    run, owned = _open_run(estimator, name, {}, {}, settings)
    if run is None:
        return fit(estimator, *args, **kwargs)
    result = _call_in_run(run, owned, fit, estimator, *args, **kwargs)
    try:
        _guard(f"the fit of {name}", _log_fitted, run, fit, estimator, args, kwargs, settings)
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
) -> None:
    """What a fit leaves behind: search results, training metrics, the model; each on its own,
    so that one failing does not lose the others."""
    name = type(estimator).__name__
    search = isinstance(estimator, BaseSearchCV)
    if search:
        _guard(f"the search results of {name}", _log_search, run, estimator)
    X, y, sample_weight = _training_data(fit, estimator, args, kwargs)
    if settings.log_training_metrics:
        _guard(
            f"training metrics of {name}",
            _log_training_metrics,
            run,
            estimator,
            X,
            y,
            sample_weight,
        )
    model = getattr(estimator, "best_estimator_", None) if search else estimator
    if settings.log_models and model is not None:
        # The fit's first rows type the signature and become the input example.
        example = head(X) if is_table(X) else None
        _guard(f"the model {name}", run.log_model, model, "model", input_example=example)


def _logged_cross_validate(
    original: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    settings: _Settings,
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
    results = _call_in_run(run, owned, original, *args, **kwargs)
    try:
        _guard(f"the cross-validation results of {name}", _log_cv_results, run, results)
    finally:
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
        _guard(f"the params of {run_name}", _log_new_params, run, params)
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


def _log_new_params(run: Run, params: dict[str, str]) -> None:
    """Log the params the run does not have yet. A run can hold several fits, but a param
    cannot change: a key logged before with another value keeps it, with a warning."""
    logged = run.record.params if params else {}
    new = {key: value for key, value in params.items() if key not in logged}
    for chunk in _chunks(new):
        run.log_params(chunk)
    changed = sorted(key for key, value in params.items() if logged.get(key, value) != value)
    if changed:
        kept = ", ".join(f"{key}={logged[key]!r} (not {params[key]!r})" for key in changed[:10])
        more = f" and {len(changed) - 10} more" if len(changed) > 10 else ""
        raise ValueError(f"run {run.id} already has other values, which it keeps: {kept}{more}")


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


def _guard(what: str, function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """Call `function`; if it fails, warn and return None, so that the fit goes on."""
    try:
        return function(*args, **kwargs)
    except Exception as exc:
        warnings.warn(
            f"Studio autolog could not log {what}: {type(exc).__name__}: {exc}",
            AutologWarning,
            stacklevel=_caller_level(),
        )
        return None


def _caller_level() -> int:
    """The stacklevel that points a warning at the user's line, past autolog and sklearn."""
    level, frame = 2, sys._getframe(2)  # 1 is _guard
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        (__name__, "sklearn.")
    ):
        level, frame = level + 1, frame.f_back
    return level


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


def _log_training_metrics(run: Run, estimator: Any, X: Any, y: Any, sample_weight: Any) -> None:
    if X is None or isinstance(X, Iterator):  # a generator was consumed by the fit
        return
    if isinstance(estimator, BaseSearchCV) and not hasattr(estimator, "best_estimator_"):
        return  # refit=False: nothing was fitted on the whole training set
    computed, failures = payload.training_metrics(estimator, X, y, sample_weight)
    run.log_metrics(computed)
    if failures:
        raise ValueError("; ".join(failures))


def _log_cv_results(run: Run, results: Mapping[str, Any]) -> None:
    """cross_validate's dict: per-fold `cv_<key>` (step = fold), `mean_<key>` and `std_<key>`."""
    for key, values in results.items():
        if not (key.startswith(("test_", "train_")) or key in ("fit_time", "score_time")):
            continue  # "estimator", "indices"
        folds = np.asarray(values, dtype=float)
        metric = payload.param_key(key)
        for fold, value in enumerate(folds):
            run.log_metric(f"cv_{metric}", float(value), step=fold)
        run.log_metric(f"mean_{metric}", float(np.mean(folds)))
        run.log_metric(f"std_{metric}", float(np.std(folds)))


# Searches ---------------------------------------------------------------------------------


def _log_search(run: Run, search: Any) -> None:
    """best_* params, best_score, cv_results.csv and one finished child run per candidate."""
    results: Mapping[str, Any] = search.cv_results_
    if hasattr(search, "best_params_"):
        best = {
            payload.param_key(f"best_{key}"): payload.param_text(value)
            for key, value in search.best_params_.items()
        }
        _guard("the best params", _log_new_params, run, best)
    if hasattr(search, "best_score_"):
        run.log_metric("best_score", float(search.best_score_))
    _log_cv_results_table(run, results)
    base = getattr(search, "estimator", None)
    # A candidate is the parent's work: it carries the parent's own tags (studio.user, a
    # job's tags); add_child_run gives it the parent's source.
    inherited = {
        key: value
        for key, value in run.record.tags.items()
        if key.startswith(_STUDIO_TAG_PREFIX) and not key.startswith(AUTOLOG_TAG)
    }
    tags = {
        **inherited,
        AUTOLOG_TAG: "sklearn",
        **(payload.estimator_tags(base) if base is not None else {}),
    }
    for index, (params, points) in enumerate(payload.search_candidates(results)):
        run.add_child_run(
            f"candidate {index}",
            params=params,
            tags={**tags, f"{AUTOLOG_TAG}.candidate": str(index)},
            metrics=points,
        )


def _log_cv_results_table(run: Run, results: Mapping[str, Any]) -> None:
    columns = list(results)
    rows = len(results["params"])
    with tempfile.TemporaryDirectory(prefix="studio-autolog-") as folder:
        path = Path(folder) / "cv_results.csv"
        with path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in range(rows):
                writer.writerow([payload.describe(results[column][row]) for column in columns])
        run.log_artifact(path, "cv_results.csv")


def _chunks(params: dict[str, str]) -> Iterator[dict[str, str]]:
    items = list(params.items())
    for start in range(0, len(items), _MAX_PARAMS_PER_CALL):
        yield dict(items[start : start + _MAX_PARAMS_PER_CALL])


@functools.cache
def _signature(function: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(function)


def _bind(
    function: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> dict[str, Any]:
    return dict(_signature(function).bind(*args, **kwargs).arguments)
