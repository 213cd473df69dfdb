"""Small frames for AutoML's tests: numbers and categories, with missing values in both, and a
target that depends on each (so that a model must use the categories to score well)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["classification_frame", "regression_frame"]


def _features(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "x1": rng.normal(size=rows),
            "x2": rng.normal(size=rows),
            "x3": rng.uniform(0, 10, size=rows),
            "color": rng.choice(["red", "green", "blue"], size=rows),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], size=rows)),
        }
    )
    for column, share in (("x1", 0.1), ("x3", 0.05), ("color", 0.1)):
        frame.loc[rng.random(rows) < share, column] = None
    return frame


def _signal(frame: pd.DataFrame) -> np.ndarray:
    color = frame["color"].map({"red": 1.5, "green": -1.0, "blue": 0.0}).fillna(0.0)
    size = frame["size"].map({"S": -0.5, "M": 0.0, "L": 0.8}).astype(float)
    return (
        2.0 * frame["x1"].fillna(0.0).to_numpy()
        - frame["x2"].to_numpy()
        + 0.3 * frame["x3"].fillna(5.0).to_numpy()
        + color.to_numpy()
        + size.to_numpy()
    )


def classification_frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """A binary target "label" ("yes"/"no") from a noisy linear rule."""
    frame = _features(rows, seed)
    noise = np.random.default_rng(seed + 1).normal(scale=0.7, size=rows)
    frame["label"] = np.where(_signal(frame) + noise > 1.5, "yes", "no")
    return frame


def regression_frame(rows: int = 300, seed: int = 0) -> pd.DataFrame:
    """A numeric target "price" with a nonlinear part."""
    frame = _features(rows, seed)
    noise = np.random.default_rng(seed + 1).normal(scale=0.5, size=rows)
    frame["price"] = 10 + _signal(frame) + np.sin(frame["x2"].to_numpy() * 2) + noise
    return frame
