"""What autolog records of scikit-learn objects: params as text, training metrics, and the
candidates of a search. Pure functions of the fitted objects; autolog.py decides when to log.
"""

from __future__ import annotations

import functools
import inspect
import math
import re
import time
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from sklearn import metrics as skm
from sklearn.base import BaseEstimator, is_classifier, is_regressor

from studio.tracking.validation import MAX_KEY_LENGTH, MAX_PARAM_VALUE_LENGTH

CV_RESULT_KEY = re.compile(
    r"^(?:(?:mean|std|rank)_(?:test|train)_.+|(?:mean|std)_(?:fit|score)_time)$"
)
_UNSAFE_KEY_CHARS = re.compile(r"[^\w\-. /:]")
MetricPoint = tuple[str, float, int, int]


def estimator_tags(estimator: Any) -> dict[str, str]:
    cls = type(estimator)
    return {
        "estimator_name": cls.__name__,
        "estimator_class": f"{cls.__module__}.{cls.__qualname__}",
    }


def flat_params(estimator: Any) -> dict[str, str]:
    """`get_params(deep=True)` (already flattened with `__`), values as text."""
    return {
        param_key(key): param_text(value) for key, value in estimator.get_params(deep=True).items()
    }


def training_metrics(
    estimator: Any, X: Any, y: Any, sample_weight: Any
) -> tuple[dict[str, float], list[str]]:
    computed: dict[str, float] = {}
    failures: list[str] = []
    weight = {} if sample_weight is None else {"sample_weight": sample_weight}

    def measure(key: str, compute: Callable[[], Any]) -> None:
        try:
            computed[key] = float(compute())
        except Exception as exc:
            failures.append(f"{key}: {type(exc).__name__}: {exc}")

    supervised = is_classifier(estimator) or is_regressor(estimator)
    # These are Studio's own predictions: their warnings (undefined precision, ...) say nothing
    # about the user's fit, so they are not shown.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(estimator, "score") and (y is not None or not supervised):
            measure(
                "training_score",
                lambda: estimator.score(X, y, **weight) if y is not None else estimator.score(X),
            )
        if y is None or not hasattr(estimator, "predict") or not supervised:
            return computed, failures
        try:
            predicted = estimator.predict(X)
        except Exception as exc:
            failures.append(f"predict: {type(exc).__name__}: {exc}")
            return computed, failures
        if is_classifier(estimator):
            measure("training_accuracy", lambda: skm.accuracy_score(y, predicted, **weight))
            for key, score in (
                ("training_precision", skm.precision_score),
                ("training_recall", skm.recall_score),
                ("training_f1", skm.f1_score),
            ):
                measure(
                    key,
                    functools.partial(
                        score, y, predicted, average="weighted", zero_division=0, **weight
                    ),
                )
            if hasattr(estimator, "predict_proba"):
                labels = getattr(estimator, "classes_", None)
                try:
                    proba = estimator.predict_proba(X)
                except Exception as exc:
                    failures.append(f"predict_proba: {type(exc).__name__}: {exc}")
                    return computed, failures
                measure(
                    "training_log_loss", lambda: skm.log_loss(y, proba, labels=labels, **weight)
                )
                measure("training_roc_auc", lambda: _roc_auc(y, proba, labels, weight))
        else:
            measure("training_mse", lambda: skm.mean_squared_error(y, predicted, **weight))
            if "training_mse" in computed:
                computed["training_rmse"] = math.sqrt(computed["training_mse"])
            measure("training_mae", lambda: skm.mean_absolute_error(y, predicted, **weight))
            measure("training_r2", lambda: skm.r2_score(y, predicted, **weight))
    return computed, failures


def _roc_auc(y: Any, proba: Any, labels: Any, weight: dict[str, Any]) -> float:
    if np.ndim(proba) == 2 and np.shape(proba)[1] == 2:
        return float(skm.roc_auc_score(y, proba[:, 1], **weight))
    return float(
        skm.roc_auc_score(y, proba, multi_class="ovr", average="weighted", labels=labels, **weight)
    )


def search_candidates(
    results: Mapping[str, Any],
) -> list[tuple[dict[str, str], list[tuple[str, float, int, int]]]]:
    """One entry per candidate: its params and metric points.

    A halving search lists a candidate once per iteration it reached; those rows become the
    steps (the iteration) of one candidate's metrics, with `n_resources` beside them.
    """
    stamp = int(time.time() * 1000)
    keys = [key for key in results if CV_RESULT_KEY.match(key)]
    iterations = results.get("iter")
    index_of: dict[tuple[int, str, int], int] = {}
    seen_in_iteration: Counter[tuple[int, str]] = Counter()
    candidates: list[tuple[dict[str, str], list[tuple[str, float, int, int]]]] = []
    for row, raw_params in enumerate(results["params"]):
        params = {param_key(key): param_text(value) for key, value in raw_params.items()}
        identity = repr(sorted(params.items()))
        step = int(iterations[row]) if iterations is not None else 0
        occurrence = seen_in_iteration[(step, identity)]
        seen_in_iteration[(step, identity)] += 1
        slot = index_of.get((step - 1, identity, occurrence)) if step > 0 else None
        if slot is None:
            slot = len(candidates)
            candidates.append((params, []))
        index_of[(step, identity, occurrence)] = slot
        points = candidates[slot][1]
        points.extend((param_key(key), float(results[key][row]), step, stamp) for key in keys)
        if iterations is not None:
            points.append(("n_resources", float(results["n_resources"][row]), step, stamp))
    return candidates


def param_key(key: str) -> str:
    """A param or metric key that Studio accepts: unsafe characters become `_`."""
    return _UNSAFE_KEY_CHARS.sub("_", key).lstrip("/")[:MAX_KEY_LENGTH] or "_"


def param_text(value: Any) -> str:
    text = describe(value)
    if len(text) > MAX_PARAM_VALUE_LENGTH:
        text = text[: MAX_PARAM_VALUE_LENGTH - 3] + "..."
    return text


def describe(value: Any, inside: bool = False) -> str:
    """Readable text for a param: estimators by class name, functions by name, containers
    element by element."""
    if isinstance(value, BaseEstimator):
        return type(value).__name__
    if isinstance(value, str):  # numpy's str_ and float64 too, shown as plain Python values
        return repr(str(value)) if inside else str(value)
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, list | tuple):
        inner = ", ".join(describe(item, True) for item in value)
        return (
            f"[{inner}]"
            if isinstance(value, list)
            else f"({inner}{',' if len(value) == 1 else ''})"
        )
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{key!r}: {describe(item, True)}" for key, item in value.items()) + "}"
        )
    if isinstance(value, np.ndarray):
        return np.array2string(value, threshold=20)
    if inspect.isfunction(value) or inspect.isclass(value) or inspect.isbuiltin(value):
        return str(value.__qualname__)
    frozen = getattr(value, "dist", None)  # a frozen scipy distribution: loguniform(a=.., b=..)
    if frozen is not None and hasattr(frozen, "name") and hasattr(value, "args"):
        arguments = [repr(item) for item in value.args]
        arguments += [f"{key}={item!r}" for key, item in getattr(value, "kwds", {}).items()]
        return f"{frozen.name}({', '.join(arguments)})"
    return str(value)
