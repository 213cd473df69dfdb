"""The datasets of the AutoML benchmark and the held-out splits both tools are scored on.

Four that ship with scikit-learn (breast cancer, wine, digits, diabetes), the Palmer penguins
(rows without a species dropped; string columns and missing values left as they are: each
tool handles them its own way), and two synthetic frames with categorical columns and
missing values, one per task. The synthetic frames are drawn once from a fixed seed, so
every split seed cuts the same data; only the split moves with the seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

Kind = Literal["classification", "regression"]
Loader = Callable[[], tuple[pd.DataFrame, pd.Series]]
TEST_SIZE = 0.25
# The target column's name in the frames handed to studio.automl: no dataset has a feature
# of that name.
TARGET = "target"


@dataclass(frozen=True)
class Dataset:
    """A named dataset: its task and how to load it as features and target."""

    name: str
    kind: Kind
    load: Loader


@dataclass(frozen=True)
class Split:
    """One held-out split of a dataset (test_size 0.25, the seed as random_state)."""

    X_train: pd.DataFrame
    X_test: pd.DataFrame
    y_train: pd.Series
    y_test: pd.Series

    def train_frame(self) -> pd.DataFrame:
        """The training rows with the target as a column: what studio.automl takes."""
        return self.X_train.assign(**{TARGET: self.y_train})


def _sklearn(loader: Callable[..., tuple[pd.DataFrame, pd.Series]]) -> Loader:
    def load() -> tuple[pd.DataFrame, pd.Series]:
        X, y = loader(return_X_y=True, as_frame=True)
        return X, y.rename(TARGET)

    return load


def _penguins() -> tuple[pd.DataFrame, pd.Series]:
    from palmerpenguins import load_penguins

    frame = load_penguins().dropna(subset=["species"]).reset_index(drop=True)
    return frame.drop(columns="species"), frame["species"].rename(TARGET)


def _synthetic_features(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    """Six numeric columns, three categorical ones (5, 3 and 40 levels: the last one is of
    high cardinality and carries little signal), and about 8% missing values in four of them."""
    frame = pd.DataFrame(rng.normal(size=(rows, 6)), columns=[f"x{i}" for i in range(6)])
    frame["region"] = rng.choice(["north", "south", "east", "west", "centre"], size=rows)
    frame["plan"] = rng.choice(["basic", "plus", "pro"], size=rows, p=[0.5, 0.3, 0.2])
    frame["shop"] = rng.choice([f"shop-{i:02d}" for i in range(40)], size=rows)
    frame["x5"] = frame["x5"].abs() * 100  # a skewed, differently scaled column
    return frame


def _signal(rng: np.random.Generator, frame: pd.DataFrame) -> np.ndarray:
    region = {"north": 0.8, "south": -0.6, "east": 0.2, "west": -0.3, "centre": 0.0}
    plan = {"basic": -0.7, "plus": 0.2, "pro": 1.0}
    shop = {f"shop-{i:02d}": value for i, value in enumerate(rng.normal(0, 0.2, size=40))}
    x = frame[[f"x{i}" for i in range(6)]].to_numpy()
    return (
        1.2 * x[:, 0]
        - 0.8 * x[:, 1]
        + 0.6 * x[:, 2] * x[:, 3]  # an interaction: trees and boosted models find it
        + np.sin(2 * x[:, 4])
        + 0.004 * x[:, 5]
        + frame["region"].map(region).to_numpy()
        + frame["plan"].map(plan).to_numpy()
        + frame["shop"].map(shop).to_numpy()
    )


def _with_missing(rng: np.random.Generator, frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    for column in ("x1", "x4", "region", "shop"):
        frame.loc[rng.random(len(frame)) < 0.08, column] = np.nan
    return frame


def _synthetic_classification() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(12)
    frame = _synthetic_features(rng, 3000)
    logit = _signal(rng, frame) + rng.normal(0, 0.7, size=len(frame))
    labels = np.where(logit > np.median(logit), "churned", "stayed")
    return _with_missing(rng, frame), pd.Series(labels, name=TARGET)


def _synthetic_regression() -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(21)
    frame = _synthetic_features(rng, 3000)
    value = 50 + 10 * _signal(rng, frame) + rng.normal(0, 6, size=len(frame))
    return _with_missing(rng, frame), pd.Series(value, name=TARGET)


def _datasets() -> dict[str, Dataset]:
    from sklearn import datasets

    return {
        "breast_cancer": Dataset(
            "breast_cancer", "classification", _sklearn(datasets.load_breast_cancer)
        ),
        "wine": Dataset("wine", "classification", _sklearn(datasets.load_wine)),
        "digits": Dataset("digits", "classification", _sklearn(datasets.load_digits)),
        "diabetes": Dataset("diabetes", "regression", _sklearn(datasets.load_diabetes)),
        "penguins": Dataset("penguins", "classification", _penguins),
        "synthetic_classification": Dataset(
            "synthetic_classification", "classification", _synthetic_classification
        ),
        "synthetic_regression": Dataset(
            "synthetic_regression", "regression", _synthetic_regression
        ),
    }


DATASETS: dict[str, Dataset] = _datasets()
NAMES = tuple(DATASETS)


def split(name: str, seed: int) -> Split:
    """The held-out split of `name` for `seed`: the same rows for both tools."""
    from sklearn.model_selection import train_test_split

    X, y = DATASETS[name].load()
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=TEST_SIZE, random_state=seed
    )
    return Split(X_train, X_test, y_train, y_test)


def score(kind: Kind, y_true: pd.Series, y_pred: np.ndarray) -> float:
    """The bench's one score for both tools: held-out accuracy, or R² for regression."""
    from sklearn.metrics import accuracy_score, r2_score

    if kind == "classification":
        return float(accuracy_score(y_true, y_pred))
    return float(r2_score(y_true, y_pred))
