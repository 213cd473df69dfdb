"""AutoML's search space, as plain dictionaries a person can read and edit.

Two dictionaries define every candidate, and the candidates notebook prints both for editing:

- `preprocessing`: named pipelines, each the keyword arguments of the preprocessing builder
  (`{"impute": "median", "encode": "onehot", "scale": True}`);
- `search_space`: one entry per algorithm, `{"preprocessing": <a name above>, "params":
  {name: distribution or fixed value}, "defaults": [params tried first, ...]}`. A distribution
  is `{"type": "int" | "float", "low": ..., "high": ..., "log": bool}` or
  `{"type": "choice", "choices": [...]}`; anything else is a fixed value.

The defaults are enqueued before Optuna samples anything, so that even a short budget ends
with complete candidates that are good on their own (gradient boosting, forests, a linear
model, an RBF SVM): they are what the benchmark against FLAML rests on.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from studio.errors import InvalidInput

if TYPE_CHECKING:
    import optuna
    import pandas as pd
    from sklearn.pipeline import Pipeline

__all__ = [
    "Candidate",
    "default_preprocessing",
    "default_search_space",
    "enqueued_params",
    "make_candidate_pipeline",
    "suggest_candidate",
    "validate_space",
]

ALGORITHM_PARAM = "algorithm"
# Past this many rows, kernel methods and neighbours cost too much per fold for a search.
MAX_ROWS_FOR_KERNELS = 10_000

SCALED = "impute+onehot+scale"
ENCODED = "impute+ordinal"


@dataclass(frozen=True)
class Candidate:
    """One point of the search: an algorithm, its preprocessing and its hyperparameters."""

    algorithm: str
    preprocessing: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return f"{self.preprocessing} → {self.algorithm}"

    def readable_params(self) -> dict[str, str]:
        return {
            ALGORITHM_PARAM: self.algorithm,
            "preprocessing": self.preprocessing,
            **{key: _readable(value) for key, value in self.params.items()},
        }


def default_preprocessing() -> dict[str, dict[str, Any]]:
    """Scaled one-hot columns for linear, kernel and neighbour models; ordinal codes for trees."""
    return {
        SCALED: {"impute": "median", "encode": "onehot", "scale": True},
        ENCODED: {"impute": "median", "encode": "ordinal", "scale": False},
    }


def default_search_space(task: str, rows: int, columns: int) -> dict[str, dict[str, Any]]:
    """The algorithms searched for `task`, in the order their defaults are tried."""
    classification = task != "regression"
    sqrt_share = round(min(1.0, max(0.05, math.sqrt(max(columns, 1)) / max(columns, 1))), 3)
    gamma = round(1.0 / max(columns, 1), 5)
    space: dict[str, dict[str, Any]] = {}
    if classification:
        space["logistic_regression"] = {
            "preprocessing": SCALED,
            "params": {"C": _float(1e-3, 100.0, log=True)},
            "defaults": [{"C": 1.0}],
        }
    else:
        space["ridge"] = {
            "preprocessing": SCALED,
            "params": {"alpha": _float(1e-3, 1000.0, log=True)},
            "defaults": [{"alpha": 1.0}],
        }
    space["lightgbm"] = {
        "preprocessing": ENCODED,
        "params": {
            "n_estimators": _int(20, 1000, log=True),
            "learning_rate": _float(0.01, 0.3, log=True),
            "num_leaves": _int(4, 128, log=True),
            "min_child_samples": _int(2, 64, log=True),
            "colsample_bytree": _float(0.3, 1.0),
            "reg_lambda": _float(1e-3, 10.0, log=True),
        },
        "defaults": [
            {
                "n_estimators": 100,
                "learning_rate": 0.1,
                "num_leaves": 31,
                "min_child_samples": 20,
                "colsample_bytree": 1.0,
                "reg_lambda": 1e-3,
            },
            # Small data: shallower trees that may split on few rows.
            {
                "n_estimators": 300,
                "learning_rate": 0.05,
                "num_leaves": 8,
                "min_child_samples": 5,
                "colsample_bytree": 0.7,
                "reg_lambda": 1.0,
            },
        ],
    }
    forest_params = {
        "n_estimators": _int(50, 500, log=True),
        "max_features": _float(0.05, 1.0),
        "min_samples_leaf": _int(1, 16, log=True),
    }
    forest_default = {
        "n_estimators": 200,
        "max_features": sqrt_share if classification else 1.0,
        "min_samples_leaf": 1,
    }
    space["extra_trees"] = {
        "preprocessing": ENCODED,
        "params": forest_params,
        "defaults": [forest_default],
    }
    space["random_forest"] = {
        "preprocessing": ENCODED,
        "params": forest_params,
        "defaults": [forest_default],
    }
    if rows <= MAX_ROWS_FOR_KERNELS:
        space["svm"] = {
            "preprocessing": SCALED,
            "params": {"C": _float(0.01, 1000.0, log=True), "gamma": _float(1e-4, 1.0, log=True)},
            "defaults": [{"C": 1.0 if classification else 10.0, "gamma": gamma}],
        }
    space["hist_gradient_boosting"] = {
        "preprocessing": ENCODED,
        "params": {
            "learning_rate": _float(0.01, 0.3, log=True),
            "max_iter": _int(50, 500, log=True),
            "max_leaf_nodes": _int(4, 64, log=True),
            "min_samples_leaf": _int(2, 64, log=True),
            "l2_regularization": _float(1e-4, 10.0, log=True),
        },
        "defaults": [
            {
                "learning_rate": 0.1,
                "max_iter": 100,
                "max_leaf_nodes": 31,
                "min_samples_leaf": 20,
                "l2_regularization": 1e-4,
            }
        ],
    }
    if rows <= MAX_ROWS_FOR_KERNELS:
        space["knn"] = {
            "preprocessing": SCALED,
            "params": {
                "n_neighbors": _int(1, 50, log=True),
                "weights": {"type": "choice", "choices": ["uniform", "distance"]},
            },
            "defaults": [{"n_neighbors": 5, "weights": "distance"}],
        }
    return space


def validate_space(
    search_space: Mapping[str, Mapping[str, Any]],
    preprocessing: Mapping[str, Mapping[str, Any]],
    task: str,
) -> None:
    """Refuse, naming them, unknown algorithms, algorithms that do not fit the task,
    unknown preprocessing names and malformed distributions."""
    from studio.evaluation.automl_estimators import algorithm_tasks

    if not search_space:
        raise InvalidInput("The search space names no algorithm.")
    known = algorithm_tasks()
    for algorithm, entry in search_space.items():
        if algorithm not in known:
            raise InvalidInput(
                f"Unknown algorithm {algorithm!r} in the search space; known: {', '.join(known)}."
            )
        if task not in known[algorithm]:
            raise InvalidInput(f"The algorithm {algorithm!r} does not fit a {task} task.")
        if entry.get("preprocessing") not in preprocessing:
            raise InvalidInput(
                f"{algorithm!r} names the preprocessing {entry.get('preprocessing')!r}; "
                f"defined: {', '.join(preprocessing)}."
            )
        for name, spec in dict(entry.get("params", {})).items():
            if isinstance(spec, Mapping) and spec.get("type") not in ("int", "float", "choice"):
                raise InvalidInput(
                    f"{algorithm}.{name}: a distribution's type is int, float or choice."
                )


def enqueued_params(search_space: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Optuna's params for each algorithm's defaults, in order: first every algorithm's first
    default, then the further ones."""
    rounds: list[list[dict[str, Any]]] = []
    for algorithm, entry in search_space.items():
        for index, defaults in enumerate(entry.get("defaults", [])):
            while len(rounds) <= index:
                rounds.append([])
            params = {f"{algorithm}.{key}": value for key, value in defaults.items()}
            tuned = {
                key
                for key, spec in dict(entry.get("params", {})).items()
                if isinstance(spec, Mapping)
            }
            params = {key: value for key, value in params.items() if key.split(".", 1)[1] in tuned}
            rounds[index].append({ALGORITHM_PARAM: algorithm, **params})
    return [params for round_ in rounds for params in round_]


def suggest_candidate(
    trial: optuna.Trial, search_space: Mapping[str, Mapping[str, Any]]
) -> Candidate:
    """Sample a candidate; each algorithm's params are Optuna params of their own
    (`<algorithm>.<name>`), so the sampler learns them per algorithm."""
    algorithm = str(trial.suggest_categorical(ALGORITHM_PARAM, list(search_space)))
    entry = search_space[algorithm]
    params: dict[str, Any] = {}
    for name, spec in dict(entry.get("params", {})).items():
        key = f"{algorithm}.{name}"
        if not isinstance(spec, Mapping):
            params[name] = spec
        elif spec["type"] == "int":
            params[name] = trial.suggest_int(
                key, int(spec["low"]), int(spec["high"]), log=bool(spec.get("log"))
            )
        elif spec["type"] == "float":
            params[name] = trial.suggest_float(
                key, float(spec["low"]), float(spec["high"]), log=bool(spec.get("log"))
            )
        else:
            params[name] = trial.suggest_categorical(key, list(spec["choices"]))
    return Candidate(algorithm, str(entry["preprocessing"]), params)


def make_candidate_pipeline(
    candidate: Candidate,
    X: pd.DataFrame,
    task: str,
    preprocessing: Mapping[str, Mapping[str, Any]],
    seed: int,
) -> Pipeline:
    """The candidate's unfitted pipeline: preprocessing, then the estimator."""
    from sklearn.pipeline import Pipeline

    from studio.evaluation.automl_estimators import make_estimator, make_preprocessing

    return Pipeline(
        [
            ("preprocessing", make_preprocessing(X, preprocessing[candidate.preprocessing])),
            (
                candidate.algorithm,
                make_estimator(candidate.algorithm, task, candidate.params, seed),
            ),
        ]
    )


def _int(low: int, high: int, *, log: bool = False) -> dict[str, Any]:
    return {"type": "int", "low": low, "high": high, "log": log}


def _float(low: float, high: float, *, log: bool = False) -> dict[str, Any]:
    return {"type": "float", "low": low, "high": high, "log": log}


def _readable(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
