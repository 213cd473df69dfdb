"""The built-in algorithms: what "Train a model…" offers, with each one's hyperparameters.

An `Algorithm` knows the estimator classes it builds (imported only when it builds one, so
listing the catalogue imports neither LightGBM nor XGBoost), its hyperparameters with their
defaults and ranges (the dialog draws its form from them), and the preprocessing it wants
(scaling, one-hot or ordinal encoding). `build` checks the values a user gave before any
job is queued, naming every bad one.

LightGBM and XGBoost appear only where installed. Their models are not scikit-learn types:
skops saves them, but a registered version loads (and serves) only once a person approves
the types `Algorithm.untrusted_types` names, on the version's approval.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, Any

from studio.evaluation.algorithm import (
    CLASSIFICATION,
    TASKS,
    Algorithm,
    Hyperparameter,
    HyperparameterValue,
    UnknownAlgorithm,
    check_task_name,
)
from studio.evaluation.preprocessing import make_preprocessor

if TYPE_CHECKING:
    from collections.abc import Mapping

    import pandas as pd
    from sklearn.pipeline import Pipeline

__all__ = [
    "Algorithm",
    "Hyperparameter",
    "HyperparameterValue",
    "UnknownAlgorithm",
    "algorithms",
    "get_algorithm",
    "make_pipeline",
]


def _float(
    name: str, default: float | None, low: float, high: float, help: str, **more: Any
) -> Hyperparameter:
    return Hyperparameter(name, "float", default, low, high, help=help, **more)


def _int(
    name: str, default: int | None, low: float, high: float, help: str, **more: Any
) -> Hyperparameter:
    return Hyperparameter(name, "int", default, low, high, help=help, **more)


def _class_weight(*choices: str) -> Hyperparameter:
    return Hyperparameter(
        "class_weight",
        "choice",
        None,
        choices=(None, *choices),
        help="'balanced' weighs classes inversely to their frequency; empty: all weigh 1.",
        tasks=CLASSIFICATION,
    )


def _inverse_regularization() -> Hyperparameter:
    return _float("C", 1.0, 1e-4, 1e4, "Inverse of the regularization strength.", log=True)


def _forest(name: str, title: str, kind: str, bootstrap: bool, description: str) -> Algorithm:
    return Algorithm(
        name=name,
        title=title,
        tasks=TASKS,
        library="scikit-learn",
        description=description,
        classifier=f"sklearn.ensemble.{kind}Classifier",
        regressor=f"sklearn.ensemble.{kind}Regressor",
        hyperparameters=(
            _int("n_estimators", 100, 10, 5000, "Number of trees.", log=True),
            _int(
                "max_depth", None, 1, 200, "Deepest a tree grows; empty: no limit.", nullable=True
            ),
            _int("min_samples_split", 2, 2, 1000, "Fewest rows a node splits.", log=True),
            _int("min_samples_leaf", 1, 1, 1000, "Fewest rows in a leaf.", log=True),
            _float(
                "max_features",
                None,
                0.01,
                1.0,
                "Share of the columns each split considers; empty: scikit-learn's default "
                "(the square root of their number for classification, all for regression).",
                nullable=True,
            ),
            Hyperparameter(
                "bootstrap", "bool", bootstrap, help="Each tree sees a bootstrap sample."
            ),
            _class_weight("balanced", "balanced_subsample"),
        ),
    )


def _mlp_layers(values: dict[str, Any]) -> dict[str, Any]:
    units, layers = values.pop("hidden_units"), values.pop("hidden_layers")
    return {**values, "hidden_layer_sizes": (units,) * layers}


def _lightgbm_values(values: dict[str, Any]) -> dict[str, Any]:
    depth = values.pop("max_depth")
    # LightGBM samples rows only with a bagging frequency; -1 is its "no depth limit".
    frequency = 1 if values["subsample"] < 1 else 0
    return {**values, "max_depth": -1 if depth is None else depth, "subsample_freq": frequency}


_CATALOGUE: tuple[Algorithm, ...] = (
    Algorithm(
        name="hist_gradient_boosting",
        title="Histogram gradient boosting",
        tasks=TASKS,
        library="scikit-learn",
        description="Gradient-boosted trees on binned features, fast on large tables; handles "
        "missing values itself. A strong first choice for tabular data.",
        classifier="sklearn.ensemble.HistGradientBoostingClassifier",
        regressor="sklearn.ensemble.HistGradientBoostingRegressor",
        hyperparameters=(
            _float("learning_rate", 0.1, 1e-3, 1.0, "Shrinks each tree's contribution.", log=True),
            _int("max_iter", 100, 10, 5000, "Boosting iterations.", log=True),
            _int(
                "max_leaf_nodes",
                31,
                2,
                4096,
                "Most leaves per tree; empty: no limit.",
                log=True,
                nullable=True,
            ),
            _int(
                "max_depth", None, 1, 100, "Deepest a tree grows; empty: no limit.", nullable=True
            ),
            _int("min_samples_leaf", 20, 1, 10000, "Fewest rows in a leaf.", log=True),
            _float("l2_regularization", 0.0, 0.0, 1000.0, "L2 penalty on leaf values."),
            _class_weight("balanced"),
        ),
    ),
    _forest(
        "random_forest",
        "Random forest",
        "RandomForest",
        bootstrap=True,
        description="Many deep trees on bootstrap samples, averaged. Robust with little tuning.",
    ),
    _forest(
        "extra_trees",
        "Extra trees",
        "ExtraTrees",
        bootstrap=False,
        description="Like a random forest with random split thresholds: faster, often as good.",
    ),
    Algorithm(
        name="logistic_regression",
        title="Logistic regression",
        tasks=CLASSIFICATION,
        library="scikit-learn",
        description="A linear model of the class probabilities, L2-regularized. Fast and "
        "interpretable; a baseline to beat.",
        classifier="sklearn.linear_model.LogisticRegression",
        needs_scaling=True,
        encoding="onehot",
        hyperparameters=(
            _inverse_regularization(),
            _int("max_iter", 1000, 10, 100000, "Most solver iterations.", log=True),
            _class_weight("balanced"),
        ),
    ),
    Algorithm(
        name="ridge",
        title="Ridge regression",
        tasks=("regression",),
        library="scikit-learn",
        description="Least squares with an L2 penalty. Fast and interpretable; a baseline to beat.",
        regressor="sklearn.linear_model.Ridge",
        needs_scaling=True,
        encoding="onehot",
        hyperparameters=(_float("alpha", 1.0, 1e-4, 1e4, "Regularization strength.", log=True),),
    ),
    Algorithm(
        name="linear_svm",
        title="Linear support vector machine",
        tasks=TASKS,
        library="scikit-learn",
        description="A maximum-margin linear model (LinearSVC / LinearSVR). Its classifier "
        "gives no probabilities, so ROC AUC and log loss are not computed for it.",
        classifier="sklearn.svm.LinearSVC",
        regressor="sklearn.svm.LinearSVR",
        needs_scaling=True,
        encoding="onehot",
        hyperparameters=(
            _inverse_regularization(),
            _int("max_iter", 5000, 100, 1000000, "Most solver iterations.", log=True),
            _float(
                "epsilon",
                0.0,
                0.0,
                1e4,
                "Errors smaller than this cost nothing (in the target's units).",
                tasks=("regression",),
            ),
            _class_weight("balanced"),
        ),
    ),
    Algorithm(
        name="knn",
        title="k nearest neighbours",
        tasks=TASKS,
        library="scikit-learn",
        description="Predicts from the k most similar training rows. No training cost; "
        "prediction slows as the data grows.",
        classifier="sklearn.neighbors.KNeighborsClassifier",
        regressor="sklearn.neighbors.KNeighborsRegressor",
        needs_scaling=True,
        encoding="onehot",
        seed_parameter=None,
        hyperparameters=(
            _int("n_neighbors", 5, 1, 500, "Neighbours consulted.", log=True),
            Hyperparameter(
                "weights",
                "choice",
                "uniform",
                choices=("uniform", "distance"),
                help="'distance': nearer neighbours count more.",
            ),
            _int("p", 2, 1, 2, "1: Manhattan distance, 2: Euclidean distance."),
        ),
    ),
    Algorithm(
        name="mlp",
        title="Multi-layer perceptron",
        tasks=TASKS,
        library="scikit-learn",
        description="A small fully connected neural network trained with Adam, stopping early "
        "on a 10% validation split.",
        classifier="sklearn.neural_network.MLPClassifier",
        regressor="sklearn.neural_network.MLPRegressor",
        needs_scaling=True,
        encoding="onehot",
        translate=_mlp_layers,
        hyperparameters=(
            _int("hidden_units", 100, 1, 2048, "Units per hidden layer.", log=True),
            _int("hidden_layers", 1, 1, 5, "Hidden layers."),
            Hyperparameter(
                "activation",
                "choice",
                "relu",
                choices=("relu", "tanh", "logistic"),
                help="The hidden layers' activation.",
            ),
            _float("alpha", 1e-4, 1e-7, 10.0, "L2 penalty.", log=True),
            _float("learning_rate_init", 1e-3, 1e-5, 1.0, "Adam's step size.", log=True),
            _int("max_iter", 200, 10, 10000, "Most epochs.", log=True),
            Hyperparameter(
                "early_stopping",
                "bool",
                True,
                help="Stop when the score on a 10% validation split stops improving.",
            ),
        ),
    ),
    Algorithm(
        name="lightgbm",
        title="LightGBM",
        tasks=TASKS,
        library="lightgbm",
        description="Microsoft's gradient-boosted trees, leaf-wise. Its models hold LightGBM "
        "types: approve them on the registered version before it loads or serves.",
        classifier="lightgbm.LGBMClassifier",
        regressor="lightgbm.LGBMRegressor",
        fixed={"verbose": -1},
        translate=_lightgbm_values,
        untrusted=(
            "collections.OrderedDict",
            "lightgbm.basic.Booster",
            "lightgbm.sklearn.{estimator}",
        ),
        hyperparameters=(
            _int("n_estimators", 100, 10, 10000, "Boosting rounds.", log=True),
            _float("learning_rate", 0.1, 1e-3, 1.0, "Shrinks each tree's contribution.", log=True),
            _int("num_leaves", 31, 2, 4096, "Most leaves per tree.", log=True),
            _int(
                "max_depth", None, 1, 100, "Deepest a tree grows; empty: no limit.", nullable=True
            ),
            _int("min_child_samples", 20, 1, 10000, "Fewest rows in a leaf.", log=True),
            _float("subsample", 1.0, 0.1, 1.0, "Share of the rows each round sees."),
            _float("colsample_bytree", 1.0, 0.1, 1.0, "Share of the columns each tree sees."),
            _float("reg_lambda", 0.0, 0.0, 1000.0, "L2 penalty on leaf values."),
            _class_weight("balanced"),
        ),
    ),
    Algorithm(
        name="xgboost",
        title="XGBoost",
        tasks=TASKS,
        library="xgboost",
        description="Gradient-boosted trees (histogram method). Class labels are encoded as "
        "0..n-1, which its model predicts. Its models hold XGBoost types: approve them on the "
        "registered version before it loads or serves.",
        classifier="xgboost.XGBClassifier",
        regressor="xgboost.XGBRegressor",
        fixed={"tree_method": "hist"},
        encodes_labels=True,
        untrusted=("xgboost.core.Booster", "xgboost.sklearn.{estimator}"),
        hyperparameters=(
            _int("n_estimators", 100, 10, 10000, "Boosting rounds.", log=True),
            _float("learning_rate", 0.3, 1e-3, 1.0, "Shrinks each tree's contribution.", log=True),
            _int("max_depth", 6, 1, 30, "Deepest a tree grows."),
            _float("min_child_weight", 1.0, 0.0, 1000.0, "Least hessian weight in a leaf."),
            _float("subsample", 1.0, 0.1, 1.0, "Share of the rows each round sees."),
            _float("colsample_bytree", 1.0, 0.1, 1.0, "Share of the columns each tree sees."),
            _float("reg_lambda", 1.0, 0.0, 1000.0, "L2 penalty on leaf values."),
        ),
    ),
)


def _installed(algorithm: Algorithm) -> bool:
    return (
        algorithm.library == "scikit-learn"
        or importlib.util.find_spec(algorithm.library) is not None
    )


def algorithms(task: str | None = None) -> list[Algorithm]:
    """The installed algorithms (LightGBM and XGBoost only where importable), for `task`
    when given."""
    wanted = None if task is None else check_task_name(task)
    return [
        algorithm
        for algorithm in _CATALOGUE
        if _installed(algorithm) and (wanted is None or wanted in algorithm.tasks)
    ]


def get_algorithm(name: str) -> Algorithm:
    """The installed algorithm called `name`; UnknownAlgorithm naming those there are."""
    for algorithm in algorithms():
        if algorithm.name == name:
            return algorithm
    known = ", ".join(algorithm.name for algorithm in algorithms())
    missing = any(algorithm.name == name for algorithm in _CATALOGUE)
    why = f"{name!r} is not installed here" if missing else f"No algorithm {name!r}"
    raise UnknownAlgorithm(f"{why}; the algorithms are {known}.")


def make_pipeline(
    algorithm: Algorithm | str,
    X: pd.DataFrame,
    task: str,
    params: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> Pipeline:
    """The algorithm's estimator behind the preprocessing it wants for `X`'s columns:
    `Pipeline([("preprocess", ColumnTransformer), ("model", estimator)])`, not fitted."""
    from sklearn.pipeline import Pipeline

    found = get_algorithm(algorithm) if isinstance(algorithm, str) else algorithm
    estimator = found.build(task, params, seed)
    preprocessor = make_preprocessor(X, scale=found.needs_scaling, encode=found.encoding)
    return Pipeline([("preprocess", preprocessor), ("model", estimator)])
