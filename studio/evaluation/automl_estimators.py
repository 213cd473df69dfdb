"""The estimators AutoML searches over, the preprocessing in front of them, and how a fold is
scored: shared by the search's workers, the ensemble and the refit, so that all three build and
score a candidate the same way."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.compose import ColumnTransformer

__all__ = [
    "algorithm_tasks",
    "estimator_modules",
    "greater_is_better",
    "make_estimator",
    "make_preprocessing",
    "score",
    "stack_features",
]

# algorithm: (classifier, regressor, fixed keyword arguments); "module:Class", None where the
# algorithm has no estimator for that task. Threads stay at one: the search runs one fold per
# worker process, as many processes as cores.
_ESTIMATORS: dict[str, tuple[str | None, str | None, dict[str, Any]]] = {
    "logistic_regression": ("sklearn.linear_model:LogisticRegression", None, {"max_iter": 2000}),
    "ridge": (None, "sklearn.linear_model:Ridge", {}),
    "lightgbm": (
        "lightgbm:LGBMClassifier",
        "lightgbm:LGBMRegressor",
        {"n_jobs": 1, "verbose": -1, "subsample_freq": 0},
    ),
    "xgboost": ("xgboost:XGBClassifier", "xgboost:XGBRegressor", {"n_jobs": 1}),
    "extra_trees": (
        "sklearn.ensemble:ExtraTreesClassifier",
        "sklearn.ensemble:ExtraTreesRegressor",
        {"n_jobs": 1},
    ),
    "random_forest": (
        "sklearn.ensemble:RandomForestClassifier",
        "sklearn.ensemble:RandomForestRegressor",
        {"n_jobs": 1},
    ),
    "hist_gradient_boosting": (
        "sklearn.ensemble:HistGradientBoostingClassifier",
        "sklearn.ensemble:HistGradientBoostingRegressor",
        {},
    ),
    "svm": ("sklearn.svm:SVC", "sklearn.svm:SVR", {}),
    "knn": (
        "sklearn.neighbors:KNeighborsClassifier",
        "sklearn.neighbors:KNeighborsRegressor",
        {},
    ),
}
_SEEDED = ("random_state",)
_LOWER_IS_BETTER = frozenset({"log_loss", "mae", "rmse", "mape"})
_PROBABILITY_METRICS = frozenset({"roc_auc", "log_loss"})


def algorithm_tasks() -> dict[str, tuple[str, ...]]:
    """Each installed algorithm and the tasks it serves ("classification", "regression")."""
    found: dict[str, tuple[str, ...]] = {}
    for name, (classifier, regressor, _) in _ESTIMATORS.items():
        module = (classifier or regressor or "").split(":")[0]
        if importlib.util.find_spec(module.split(".")[0]) is None:
            continue
        found[name] = tuple(
            task
            for task, path in (("classification", classifier), ("regression", regressor))
            if path
        )
    return found


def estimator_modules(algorithms: list[str]) -> list[str]:
    """The modules the algorithms' estimators live in (a worker imports them before fitting)."""
    modules = {"sklearn.pipeline", "sklearn.compose", "sklearn.impute", "sklearn.preprocessing"}
    for algorithm in algorithms:
        classifier, regressor, _ = _ESTIMATORS[algorithm]
        modules.update(path.split(":")[0] for path in (classifier, regressor) if path)
    return sorted(modules)


def make_estimator(algorithm: str, task: str, params: Mapping[str, Any], seed: int) -> Any:
    classifier, regressor, fixed = _ESTIMATORS[algorithm]
    path = regressor if task == "regression" else classifier
    if path is None:
        raise ValueError(f"{algorithm} has no estimator for a {task} task.")
    module, _, name = path.partition(":")
    cls = getattr(importlib.import_module(module), name)
    arguments = {**fixed, **params}
    if any(key in cls().get_params() for key in _SEEDED):
        arguments["random_state"] = seed
    return cls(**arguments)


def make_preprocessing(X: pd.DataFrame, spec: Mapping[str, Any]) -> ColumnTransformer:
    """Imputation, encoding and scaling of `X`'s columns as `spec` says (the keyword arguments
    of the preprocessing builder)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    numeric, categorical = _column_groups(X)
    numeric_steps: list[Any] = [
        SimpleImputer(strategy=spec.get("impute", "median"), add_indicator=True)
    ]
    if spec.get("scale", True):
        numeric_steps.append(StandardScaler())
    encoder: Any
    if spec.get("encode", "onehot") == "onehot":
        encoder = OneHotEncoder(
            handle_unknown="infrequent_if_exist",
            max_categories=int(spec.get("max_categories", 20)),
            sparse_output=False,
        )
    else:
        encoder = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    return ColumnTransformer(
        [
            ("numeric", make_pipeline(*numeric_steps), numeric),
            (
                "categorical",
                make_pipeline(SimpleImputer(strategy="most_frequent"), encoder),
                categorical,
            ),
        ],
        remainder="drop",
    )


def _column_groups(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Numeric and categorical columns; id-like and free-text columns are left out."""
    import pandas as pd

    numeric: list[str] = []
    categorical: list[str] = []
    rows = max(len(X), 1)
    for column in X.columns:
        series = X[column]
        if pd.api.types.is_bool_dtype(series):
            categorical.append(column)
        elif pd.api.types.is_numeric_dtype(series):
            numeric.append(column)
        elif isinstance(series.dtype, pd.CategoricalDtype) or (
            series.nunique() <= max(50, rows // 2)
        ):
            categorical.append(column)
    return numeric, categorical


def greater_is_better(metric: str) -> bool:
    return metric not in _LOWER_IS_BETTER


def stack_features(estimator: Any, X: Any, task: str, classes: np.ndarray) -> np.ndarray:
    """What a stacked ensemble learns from: class probabilities (decision values where the
    model has none; one column for two classes), or the prediction for regression. The same
    choice as scikit-learn's StackingClassifier(stack_method="auto")."""
    if task == "regression":
        return np.asarray(estimator.predict(X), dtype=float).reshape(-1, 1)
    if hasattr(estimator, "predict_proba"):
        values = _aligned(estimator.predict_proba(X), estimator.classes_, classes)
    else:
        values = np.asarray(estimator.decision_function(X), dtype=float)
        if values.ndim == 2:
            values = _aligned(values, estimator.classes_, classes)
    if values.ndim == 2 and len(classes) == 2:
        values = values[:, 1]
    return values.reshape(len(values), -1)


def _aligned(values: np.ndarray, fitted: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """Columns in the order of every class (a fold's training part may lack one)."""
    if len(fitted) == len(classes):
        return np.asarray(values, dtype=float)
    out = np.zeros((len(values), len(classes)))
    positions = np.searchsorted(classes, fitted)
    out[:, positions] = values
    return out


def score(
    metric: str,
    task: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    features: np.ndarray | None,
    classes: np.ndarray,
) -> float:
    """One metric of one fold. `features` are `stack_features` (probabilities or decision
    values), needed by roc_auc and log_loss only."""
    from sklearn import metrics

    if metric in _PROBABILITY_METRICS:
        if features is None:
            raise ValueError(f"{metric} needs probabilities.")
        scores = features[:, 0] if features.shape[1] == 1 else features
        if metric == "roc_auc":
            if len(classes) == 2:
                return float(metrics.roc_auc_score(y_true, scores))
            return float(
                metrics.roc_auc_score(
                    y_true, scores, multi_class="ovr", average="macro", labels=classes
                )
            )
        proba = np.column_stack([1 - scores, scores]) if scores.ndim == 1 else scores
        return float(metrics.log_loss(y_true, np.clip(proba, 1e-15, 1.0), labels=classes))
    simple = {
        "accuracy": metrics.accuracy_score,
        "balanced_accuracy": metrics.balanced_accuracy_score,
        "r2": metrics.r2_score,
        "mae": metrics.mean_absolute_error,
        "rmse": metrics.root_mean_squared_error,
        "mape": metrics.mean_absolute_percentage_error,
    }
    if metric in simple:
        return float(simple[metric](y_true, y_pred))
    kind, _, average = metric.rpartition("_")
    averaged = {
        "precision": metrics.precision_score,
        "recall": metrics.recall_score,
        "f1": metrics.f1_score,
    }
    if kind in averaged and average in ("macro", "weighted"):
        return float(averaged[kind](y_true, y_pred, average=average, zero_division=0))
    raise ValueError(f"Unknown metric {metric!r}.")
