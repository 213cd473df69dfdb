"""Column kinds and the preprocessing built-in training and AutoML put before an estimator:
what each kind of column becomes, what is dropped, unseen values at prediction time, and a
model built on it that loads and serves without anyone approving a type."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline

from studio.evaluation.preprocessing import column_kinds, make_preprocessor
from studio.tracking.models import load_model, read_model_meta, save_model
from tests.databases import sqlite_only

if TYPE_CHECKING:
    from pathlib import Path

# No store here, or only a local SQLite one: the PostgreSQL run has nothing to add.
pytestmark = sqlite_only


def mixed_frame(rows: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "customer_id": np.arange(rows),
            "age": rng.integers(18, 90, rows).astype(float),
            "visits": pd.Series(rng.integers(0, 5, rows), dtype="Int64"),
            "city": rng.choice(["Lyon", "Nantes", "Lille"], rows).astype(object),
            "plan": pd.Series(rng.choice(["free", "pro"], rows), dtype="category"),
            "active": rng.choice([True, False], rows),
            "note": [f"called on a Monday about invoice {i} and more" for i in range(rows)],
            "code": [f"C{i:05d}" for i in range(rows)],
            "joined": pd.date_range("2024-01-01", periods=rows, freq="D"),
            "empty": np.nan,
        }
    )
    frame.loc[[1, 5], "age"] = np.nan
    frame.loc[2, "visits"] = pd.NA
    frame.loc[3, "city"] = None
    return frame


def test_each_column_gets_its_kind_from_dtype_and_values() -> None:
    assert column_kinds(mixed_frame()) == {
        "customer_id": "id",
        "age": "numeric",
        "visits": "numeric",
        "city": "categorical",
        "plan": "categorical",
        "active": "boolean",
        "note": "text",
        "code": "id",
        "joined": "datetime",
        "empty": "numeric",
    }
    # Unique integers are an id only under an id-like name; few rows are never an id.
    small = pd.DataFrame({"count": np.arange(50), "name": [f"n{i}" for i in range(50)]})
    assert column_kinds(small) == {"count": "numeric", "name": "id"}
    assert column_kinds(small.head(5)) == {"count": "numeric", "name": "categorical"}
    flags = pd.DataFrame({"flag": pd.Series([True, None, False] * 10, dtype=object)})
    assert column_kinds(flags) == {"flag": "boolean"}
    # Dates read from a CSV file are strings: ISO ones are dates still.
    read = pd.DataFrame({"day": ["2025-01-02", None, "2025-03-04 10:00:00"], "v": ["2025-1"] * 3})
    assert column_kinds(read) == {"day": "datetime", "v": "categorical"}
    nested = pd.DataFrame({"tags": [["a"], ["b", "c"], None]})  # a Parquet list column
    assert column_kinds(nested) == {"tags": "text"}


def test_one_hot_preprocessing_imputes_encodes_scales_and_drops_the_rest() -> None:
    frame = mixed_frame()

    preprocessor = make_preprocessor(frame)
    out = preprocessor.fit_transform(frame)

    names = list(preprocessor.get_feature_names_out())
    assert names == [
        "numeric__age",
        "numeric__visits",
        "numeric__missingindicator_age",
        "numeric__missingindicator_visits",
        "categorical__city_Lille",
        "categorical__city_Lyon",
        "categorical__city_Nantes",
        "categorical__plan_free",
        "categorical__plan_pro",
        "boolean__active_False",
        "boolean__active_True",
    ]
    assert not np.isnan(out).any()
    assert abs(out[:, 0].mean()) < 1e-9  # scaled
    indicator = names.index("numeric__missingindicator_age")
    assert out[1, indicator] > out[0, indicator]  # row 1 had no age


def test_unseen_and_missing_values_at_prediction_time_do_not_fail() -> None:
    frame = mixed_frame()
    new = frame.head(2).copy()
    new["city"] = ["Paris", None]
    new["active"] = pd.Series([None, True], dtype=object)
    for encode in ("onehot", "ordinal"):
        preprocessor = make_preprocessor(frame, encode=encode, scale=False).fit(frame)
        out = preprocessor.transform(new)
        assert out.shape[0] == 2
        assert not np.isnan(out).any()
    ordinal = make_preprocessor(frame, encode="ordinal", scale=False).fit(frame)
    names = list(ordinal.get_feature_names_out())
    assert names[-3:] == ["categorical__city", "categorical__plan", "boolean__active"]
    assert ordinal.transform(new)[0, names.index("categorical__city")] == -1.0  # unseen
    # At most max_categories columns per categorical column.
    many = pd.DataFrame({"shop": [f"s{i % 30}" for i in range(300)], "x": np.arange(300.0)})
    capped = make_preprocessor(many, max_categories=5).fit(many)
    assert sum(n.startswith("categorical__shop") for n in capped.get_feature_names_out()) == 5


def test_bad_options_and_nothing_to_learn_from_are_refused() -> None:
    frame = mixed_frame()
    with pytest.raises(ValueError, match="impute must be one of"):
        make_preprocessor(frame, impute="zero")
    with pytest.raises(ValueError, match="encode must be"):
        make_preprocessor(frame, encode="hash")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="No column to learn from"):
        make_preprocessor(frame[["customer_id", "note", "joined", "empty"]])


def test_a_model_built_on_it_loads_without_approving_any_type(tmp_path: Path) -> None:
    frame = mixed_frame()
    y = (frame["age"].fillna(50) > 50).to_numpy()
    model = Pipeline(
        [
            ("preprocess", make_preprocessor(frame, encode="ordinal")),
            ("model", HistGradientBoostingClassifier(max_iter=10)),
        ]
    ).fit(frame, y)

    folder = save_model(model, tmp_path / "model", input_example=frame.head(3))

    meta = read_model_meta(folder)
    assert meta.format == "skops"
    assert meta.needs_approval == []
    assert meta.not_servable == ()
    loaded = load_model(folder)
    assert (loaded.predict(frame) == model.predict(frame)).all()
