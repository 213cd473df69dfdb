"""Column kinds and the preprocessing that turns a table into what an estimator takes.

Built-in training and AutoML share it. The result holds scikit-learn types only (a
`ColumnTransformer` of imputers, encoders and a scaler), so a model built on it is saved with
skops, loads without anyone approving types (`studio.tracking.model_trust`), and is served by
the registry's endpoints: no function of ours is pickled into it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
from pandas.api import types as ptypes

if TYPE_CHECKING:
    from sklearn.compose import ColumnTransformer

__all__ = ["ColumnKind", "Encoding", "column_kinds", "distinct_count", "make_preprocessor"]

ColumnKind = Literal["numeric", "categorical", "boolean", "datetime", "text", "id"]
Encoding = Literal["onehot", "ordinal"]

IMPUTE_STRATEGIES = ("mean", "median", "most_frequent")
# A column of unique values over at least this many rows is an identifier or free text.
_UNIQUE_MIN_ROWS = 20
_UNIQUE_SHARE = 0.95
# Free text: long values, or several words per value.
_TEXT_MEAN_LENGTH = 40
_TEXT_MEAN_WORDS = 4
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}|$)")
_DATE_SAMPLE = 100
_ID_NAME = re.compile(r"(^|[_\W])(id|uuid|guid|key)$|^id([_\W]|$)|Id$|ID$")


def column_kinds(X: pd.DataFrame) -> dict[str, ColumnKind]:
    """Each column's kind, by dtype and values: numbers are numeric unless an identifier
    (unique integers under an id-like name); strings are categorical unless nearly every value
    is distinct (an identifier, or free text when the values are long or wordy)."""
    return {str(name): _kind(str(name), X[name]) for name in X.columns}


def _kind(name: str, column: pd.Series) -> ColumnKind:
    if ptypes.is_bool_dtype(column.dtype):
        return "boolean"
    if ptypes.is_datetime64_any_dtype(column.dtype) or isinstance(column.dtype, pd.PeriodDtype):
        return "datetime"
    if isinstance(column.dtype, pd.CategoricalDtype):
        return "categorical"
    values = column.dropna()
    if ptypes.is_numeric_dtype(column.dtype) and not ptypes.is_complex_dtype(column.dtype):
        integral = ptypes.is_integer_dtype(column.dtype) or bool(
            len(values) and (values == values.round()).all()
        )
        if integral and _mostly_unique(values) and _ID_NAME.search(name):
            return "id"
        return "numeric"
    if distinct_count(values) is None:
        return "text"  # lists, dicts (a Parquet file's nested columns): nothing to encode
    if len(values) and values.map(lambda value: isinstance(value, bool)).all():
        return "boolean"
    # Dates read from a CSV file are text: ISO dates (what pandas writes) are recognized.
    sample = values.head(_DATE_SAMPLE).map(str)  # bytes that are not UTF-8 too
    if len(sample) and sample.str.match(_ISO_DATE).all():
        return "datetime"
    if not _mostly_unique(values):
        return "categorical"
    text = values.map(str)
    wordy = text.str.split().str.len().mean() >= _TEXT_MEAN_WORDS
    if wordy or text.str.len().mean() >= _TEXT_MEAN_LENGTH:
        return "text"
    return "id"


def distinct_count(values: pd.Series) -> int | None:
    """How many distinct values a column holds; None when they cannot be compared (lists)."""
    try:
        return int(values.nunique())
    except TypeError:
        return None


def _mostly_unique(values: pd.Series) -> bool:
    rows = len(values)
    return rows >= _UNIQUE_MIN_ROWS and (distinct_count(values) or 0) >= _UNIQUE_SHARE * rows


def make_preprocessor(
    X: pd.DataFrame,
    *,
    scale: bool = True,
    encode: Encoding = "onehot",
    impute: str = "median",
    max_categories: int = 20,
) -> ColumnTransformer:
    """A `ColumnTransformer` for `X`'s columns, by kind.

    Numeric: a `SimpleImputer(strategy=impute, add_indicator=True)`, then a `StandardScaler`
    when `scale`. Categorical: the most frequent value imputed, then one-hot encoding (at most
    `max_categories` columns each, rarer values and unseen ones in an "infrequent" column) or
    ordinal codes (unseen values -1). Boolean: encoded the same way without imputing (a
    missing value is a category of its own; scikit-learn's imputer refuses bool columns).
    Identifiers, free text, dates, and columns with no value at all are dropped.
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

    if impute not in IMPUTE_STRATEGIES:
        raise ValueError(f"impute must be one of {', '.join(IMPUTE_STRATEGIES)}, not {impute!r}.")
    if encode not in ("onehot", "ordinal"):
        raise ValueError(f"encode must be 'onehot' or 'ordinal', not {encode!r}.")
    if max_categories < 2:
        raise ValueError("max_categories must be at least 2.")
    by_kind: dict[ColumnKind, list[str]] = {}
    for name, kind in column_kinds(X).items():
        if X[name].notna().any():
            by_kind.setdefault(kind, []).append(name)

    def encoder() -> OneHotEncoder | OrdinalEncoder:
        if encode == "onehot":
            return OneHotEncoder(
                handle_unknown="infrequent_if_exist",
                max_categories=max_categories,
                sparse_output=False,
            )
        return OrdinalEncoder(
            handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
        )

    numeric_steps: list[tuple[str, Any]] = [
        ("impute", SimpleImputer(strategy=impute, add_indicator=True))
    ]
    if scale:
        numeric_steps.append(("scale", StandardScaler()))
    categorical = Pipeline(
        [("impute", SimpleImputer(strategy="most_frequent")), ("encode", encoder())]
    )
    transformers = [
        (group, transformer, columns)
        for group, transformer, columns in (
            ("numeric", Pipeline(numeric_steps), by_kind.get("numeric", [])),
            ("categorical", categorical, by_kind.get("categorical", [])),
            ("boolean", encoder(), by_kind.get("boolean", [])),
        )
        if columns
    ]
    if not transformers:
        raise ValueError(
            "No column to learn from: every column is an identifier, free text, a date, or empty."
        )
    return ColumnTransformer(transformers, remainder="drop")
