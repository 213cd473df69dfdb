"""The data-exploration report's tables and warnings, as functions of a DataFrame.

The generated exploration notebook calls these cell by cell (so that a person can read, change
and re-run each), and `automl` calls `data_warnings` to tag its run. Each stays cheap on a
large frame: statistics over columns, never over pairs of rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from collections.abc import Hashable

__all__ = [
    "column_summary",
    "correlations",
    "data_warnings",
    "dataset_summary",
    "descriptive_stats",
    "target_association",
    "target_distribution",
]

HIGH_CARDINALITY = 50
LEAKAGE_ASSOCIATION = 0.98
MAX_CORRELATION_COLUMNS = 30


def dataset_summary(frame: pd.DataFrame, target: str, task: str) -> pd.DataFrame:
    """Rows, columns, duplicate rows, missing target values, the task."""
    values = {
        "rows": len(frame),
        "columns": frame.shape[1] - 1,
        "duplicate rows": int(frame.duplicated().sum()),
        "target column": target,
        "missing target values": int(frame[target].isna().sum()),
        "task": task,
    }
    return pd.DataFrame({"value": [str(value) for value in values.values()]}, index=list(values))


def column_summary(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Each feature's dtype, kind (numeric, categorical, id-like, text), missing and distinct
    values."""
    rows = []
    for column in frame.columns:
        if column == target:
            continue
        series = frame[column]
        rows.append(
            {
                "column": column,
                "dtype": str(series.dtype),
                "kind": _kind(series),
                "missing": int(series.isna().sum()),
                "missing %": round(100 * float(series.isna().mean()), 1) if len(series) else 0.0,
                "distinct": int(series.nunique()),
            }
        )
    return pd.DataFrame(rows).set_index("column") if rows else pd.DataFrame()


def target_distribution(frame: pd.DataFrame, target: str, task: str) -> pd.DataFrame:
    """Class counts and shares, or the target's quantiles for regression."""
    series = frame[target].dropna()
    if task == "regression":
        return series.describe(percentiles=[0.05, 0.25, 0.5, 0.75, 0.95]).to_frame(target)
    counts = series.value_counts()
    return pd.DataFrame({"count": counts, "share": (counts / max(len(series), 1)).round(4)})


def target_association(frame: pd.DataFrame, target: str, task: str) -> pd.Series:
    """How strongly each feature alone goes with the target, from 0 to 1: |Pearson r| for a
    numeric feature and a numeric target; otherwise the correlation ratio (eta) between the
    categories and the numbers. Sorted, strongest first."""
    y = frame[target]
    values: dict[Hashable, float] = {}
    for column in frame.columns:
        if column == target:
            continue
        values[column] = _association(frame[column], y, task)
    return pd.Series(values, name="association", dtype=float).sort_values(ascending=False)


def correlations(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """Pearson correlations between the numeric columns (the target included when numeric),
    at most the first `MAX_CORRELATION_COLUMNS`."""
    numeric = frame.select_dtypes("number")
    return numeric.iloc[:, :MAX_CORRELATION_COLUMNS].corr().round(3)


def descriptive_stats(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.describe(include="all").T


def data_warnings(frame: pd.DataFrame, target: str, task: str) -> list[str]:
    """Possible leakage (a feature that alone all but gives the target away), id-like and
    high-cardinality columns, constant columns, columns mostly missing, missing targets."""
    found: list[str] = []
    missing_target = int(frame[target].isna().sum())
    if missing_target:
        found.append(f"{missing_target} rows have no target value: they are left out.")
    association = target_association(frame, target, task)
    for column, value in association.items():
        if value >= LEAKAGE_ASSOCIATION and _kind(frame[column]) != "id":
            found.append(
                f"Possible leakage: {column!r} alone goes with the target "
                f"(association {value:.3f})."
            )
    for column in frame.columns:
        if column == target:
            continue
        series = frame[column]
        kind = _kind(series)
        if kind == "id":
            found.append(f"{column!r} looks like an identifier (every value differs): left out.")
        elif kind in ("categorical", "text") and series.nunique() > HIGH_CARDINALITY:
            found.append(f"{column!r} has high cardinality ({series.nunique()} distinct values).")
        if series.nunique(dropna=True) <= 1:
            found.append(f"{column!r} is constant.")
        if len(series) and series.isna().mean() > 0.5:
            found.append(f"{column!r} is mostly missing ({series.isna().mean():.0%}).")
    return found


def _kind(series: pd.Series) -> str:
    distinct = series.nunique()
    rows = series.notna().sum()
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    if pd.api.types.is_float_dtype(series):
        return "numeric"
    if (
        rows > 20
        and distinct == rows
        and (pd.api.types.is_integer_dtype(series) or not pd.api.types.is_numeric_dtype(series))
    ):
        return "id"
    if pd.api.types.is_numeric_dtype(series):
        return "numeric"
    if isinstance(series.dtype, pd.CategoricalDtype) or distinct <= max(50, rows // 2):
        return "categorical"
    return "text"


def _association(x: pd.Series, y: pd.Series, task: str) -> float:
    both = pd.DataFrame({"x": x, "y": y}).dropna()
    if len(both) < 3:
        return 0.0
    x_numeric = pd.api.types.is_numeric_dtype(both["x"]) and not pd.api.types.is_bool_dtype(
        both["x"]
    )
    if x_numeric and task == "regression":
        value = both["x"].astype(float).corr(both["y"].astype(float))
        return 0.0 if pd.isna(value) else abs(float(value))
    if x_numeric:  # numbers grouped by class
        return _correlation_ratio(both["y"].astype(str), both["x"].astype(float))
    if task == "regression":  # numbers grouped by category
        return _correlation_ratio(both["x"].astype(str), both["y"].astype(float))
    # two categoricals: how well the feature's categories predict the class
    if both["x"].nunique() > len(both) // 2:
        return 0.0
    majority = both.groupby("x", observed=True)["y"].agg(lambda v: v.value_counts().iloc[0])
    purity = float(majority.sum() / len(both))
    # Scaled so that knowing nothing (always the majority class) is 0.
    base = float(both["y"].value_counts().iloc[0] / len(both))
    return 0.0 if base >= 1 else max(0.0, (purity - base) / (1 - base))


def _correlation_ratio(groups: pd.Series, values: pd.Series) -> float:
    total = float(((values - values.mean()) ** 2).sum())
    if total == 0:
        return 0.0
    grouped = values.groupby(groups.to_numpy())
    between = float((grouped.count() * (grouped.mean() - values.mean()) ** 2).sum())
    return float(np.sqrt(between / total))
